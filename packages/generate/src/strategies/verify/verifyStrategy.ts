import type { Draft, Drafter, ForwardOptions, ForwardResult, Verifier } from '@dynamojs/core';
import { headRowIndex } from '@dynamojs/core';
import type { VerificationStats } from '../../types.js';
import { type DecodeStrategy, type Pass, prepareView, type StrategyContext } from '../strategy.js';
import { CacheCompaction } from './cacheCompaction.js';
import { DraftGrammar } from './draftGrammar.js';
import { DraftLayout } from './draftLayout.js';
import { HeadRowPlanner } from './headRowPlanner.js';
import { VerificationCounters } from './verificationCounters.js';
import { VerificationWalk } from './verificationWalk.js';

/**
 * `'verified'`: lossless draft-and-verify. Every pass feeds `[next, drafted nodes…]` — `next` the
 * exact token chosen after the previous pass, the nodes a chain or a tree drafted after it — and
 * the verifier walks the draft from `next`: at each position it accepts one of the drafted
 * candidates (the children of the current node) or emits the base model's own token instead, which
 * ends the walk and becomes the next pass's `next`. The cache then keeps only the accepted path
 * (`trim` for a chain prefix, `compact` for a tree path), and the drafter drafts after the new
 * `next` from the extra heads' logits at the accepted node — one forward pass per step, no re-run.
 *
 * Trees need a model with tree attention (`metadata.treeAttention`); elsewhere a drafted tree is
 * verified as its first root-to-leaf path (the drafter's preferred candidates), and stats say why.
 *
 * With a constraint ({@link DraftGrammar}): the draft after `next` is the run of tokens the grammar
 * forces there, else the drafter's draft pruned to the grammar; the walk's view is masked by the
 * grammar after each prefix, so speculative sampling verifies against the constrained distribution.
 *
 * The stages, each owning its buffers: {@link DraftLayout} (the chunk), {@link HeadRowPlanner}
 * (the extra heads' rows), {@link VerificationWalk} (the accepted path), {@link CacheCompaction}.
 */
export class VerifyStrategy implements DecodeStrategy {
  private readonly ctx: StrategyContext;
  private readonly drafter: Drafter;
  private readonly extraHeads: boolean;
  private readonly prefillOptions: ForwardOptions;
  private readonly counters = new VerificationCounters();
  private readonly layout: DraftLayout;
  private readonly planner: HeadRowPlanner;
  private readonly walk: VerificationWalk;
  private readonly compaction = new CacheCompaction();
  private readonly grammar: DraftGrammar | undefined;

  constructor(ctx: StrategyContext, verifier: Verifier, drafter: Drafter) {
    this.ctx = ctx;
    this.drafter = drafter;
    const { model, signal, headRows, maxDraftTokens } = ctx.opts;
    const drafterHeads = drafter.heads ?? model.metadata.heads;
    this.extraHeads = model.metadata.heads > 1 && drafterHeads > 1 && maxDraftTokens > 0;
    ctx.draftView.heads = this.extraHeads ? Math.min(drafterHeads, model.metadata.heads) : 1;
    this.prefillOptions = { positions: 'last', headPositions: this.extraHeads ? 'last' : 'none', signal };
    this.layout = new DraftLayout(drafter.name, model.metadata.vocabSize, model.metadata.treeAttention === true);
    this.planner = new HeadRowPlanner(headRows);
    this.walk = new VerificationWalk(ctx, verifier, this.layout, this.counters);
    this.grammar = ctx.constraint === undefined ? undefined : new DraftGrammar(ctx.constraint, ctx.opts.forcedRuns);
    // Report every head's depth, even those never reached.
    if (model.metadata.heads > 1) this.counters.recordDepths(model.metadata.heads - 1);
  }

  nextPass(prefill: boolean): Pass {
    if (prefill) return { tokens: this.ctx.opts.promptIds, options: this.prefillOptions };
    const { layout } = this;
    return {
      tokens: layout.tokensView(),
      options: {
        positions: 'all',
        headPositions: this.extraHeads ? this.planner.plan(layout) : 'none',
        ...(layout.isTree && { tree: { parents: layout.parentsView() } }),
        signal: this.ctx.opts.signal,
      },
    };
  }

  async afterPass(result: ForwardResult, prefill: boolean): Promise<void> {
    const { ctx, layout, walk } = this;
    if (prefill) {
      const next = walk.first(result);
      if (!ctx.output.emit(next)) return;
      await this.prepare(result, undefined, undefined, next);
      return;
    }
    const n = layout.length;
    const cacheBefore = ctx.cache.length - n;
    if (n > 1) this.counters.recordPass(n - 1, layout.isTree);
    const more = walk.walk(result);
    if (n > 1) this.drafter.accepted?.({ proposed: n - 1, accepted: walk.pathLength - 1, tree: layout.isTree });
    if (!more) return;
    const { pathLength, node, next } = walk;
    if (pathLength < n) this.compaction.keepPath(ctx.cache, cacheBefore, walk.path, pathLength);
    if (!ctx.output.emit(next)) return;
    const headRow = result.heads > 1 ? headRowIndex(result, node, n) : -1;
    await this.prepare(result, node === n - 1 ? undefined : node, headRow, next);
  }

  report(): { acceptance: VerificationStats } {
    return { acceptance: this.counters.toStats() };
  }

  /**
   * Sets the next chunk to [next, drafted nodes…], drafting at row `row` of `result` (head 0) and
   * row `headRow` of the extra heads (undefined: the last; -1: the pass did not compute them there,
   * and the drafter sees head 0 only).
   */
  private async prepare(
    result: ForwardResult,
    row: number | undefined,
    headRow: number | undefined,
    next: number,
  ): Promise<void> {
    const { ctx, layout } = this;
    layout.begin(next);
    const { model, maxDraftTokens } = ctx.opts;
    // Drafts past maxNewTokens are useless; the whole chunk must fit the context.
    const maxDepth = ctx.output.room();
    const maxNodes = Math.min(maxDraftTokens, model.metadata.contextLength - ctx.cache.length - 1);
    if (maxDepth <= 0 || maxNodes <= 0) return;
    const forced = this.grammar?.forcedDraft(Math.min(maxDepth, maxNodes));
    const view = ctx.draftView;
    const headsHere = this.extraHeads && headRow !== -1 && result.heads > 1;
    const heads = view.heads;
    if (!headsHere) view.heads = 1;
    let draft: Draft;
    try {
      draft = await this.drafter.draft(
        prepareView(ctx, view, result, row, maxDepth + 1, headsHere ? headRow : row),
        next,
      );
    } finally {
      view.heads = heads;
    }
    if (this.grammar !== undefined) {
      draft = this.grammar.prune(draft);
      // a pruned chain is grammar-valid, so it starts with the forced run: keep the longer of them
      if (forced !== undefined && (draft.parents !== undefined || draft.tokens.length < forced.tokens.length)) {
        draft = forced;
      }
    }
    layout.layOut(draft, maxDepth, maxNodes);
    if (layout.fellBack) this.counters.recordTreeFallback();
  }
}
