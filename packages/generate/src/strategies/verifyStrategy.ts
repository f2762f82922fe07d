import {
  checkTokenTree,
  type Draft,
  type DraftCandidates,
  type Drafter,
  type ForwardOptions,
  type ForwardResult,
  headRowIndex,
  type Verifier,
} from '@dynamojs/core';
import { DEFAULT_TREE_HEAD_ROWS } from '../defaults.js';
import type { VerificationStats } from '../types.js';
import { checkToken, samplerError } from './checks.js';
import { type DecodeStrategy, type Pass, prepareView, type StrategyContext } from './strategy.js';
import { VerificationCounters } from './verificationCounters.js';

/**
 * The candidates of one position: the children of one chunk node, in the drafter's order. A
 * reused object, re-pointed at every position (no allocation per position).
 */
class ChildCandidates implements DraftCandidates {
  count = 0;
  private from = 0;
  constructor(private readonly strategy: VerifyStrategy) {}

  set(node: number): void {
    const s = this.strategy;
    this.from = s.childStart[node] as number;
    this.count = (s.childStart[node + 1] as number) - this.from;
  }

  /** Chunk index of candidate i. */
  node(i: number): number {
    return this.strategy.childList[this.from + i] as number;
  }

  token(i: number): number {
    return this.strategy.chunk[this.node(i)] as number;
  }

  proposal(i: number): ArrayLike<number> | undefined {
    return this.strategy.draft?.distribution?.(this.strategy.draftIndex[this.node(i)] as number);
  }
}

const NO_CANDIDATES: DraftCandidates = { count: 0, token: () => -1, proposal: () => undefined };

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
 */
export class VerifyStrategy implements DecodeStrategy {
  private readonly ctx: StrategyContext;
  private readonly verifier: Verifier;
  private readonly drafter: Drafter;
  private readonly treeAttention: boolean;
  private readonly extraHeads: boolean;
  private readonly prefillOptions: ForwardOptions;
  /** How many extra-head rows a pass computes: 'all', 'last', or the R likeliest end nodes. */
  private readonly headRows: 'all' | 'last' | number;
  private readonly treeHeadRows: 'all' | number;
  private readonly out = new Int32Array(1);
  private readonly candidates = new ChildCandidates(this);
  private readonly counters = new VerificationCounters();

  /** The chunk: chunk[0] = next, chunk[i ≥ 1] = drafted nodes; their parents in the chunk. */
  chunk = new Int32Array(16);
  chunkParents = new Int32Array(16);
  /** Draft node index of chunk node i (i ≥ 1). */
  draftIndex = new Int32Array(16);
  /** The drafter's estimate that acceptance reaches chunk node i (1 for `next`). */
  private chunkScore = new Float64Array(16);
  /** The nodes given the extra heads' rows this pass (increasing), and scratch to pick them. */
  private headList = new Int32Array(16);
  private endScore = new Float64Array(16);
  private headListViews: Int32Array[] = [];
  /** Whether the current draft came with `scores`. */
  private scored = false;
  private chunkViews: Int32Array[] = [];
  private parentViews: Int32Array[] = [];
  chunkLength = 0;
  private isTree = false;
  /** Children of chunk node i: childList[childStart[i] .. childStart[i + 1]) (CSR). */
  childStart = new Int32Array(17);
  childList = new Int32Array(16);
  private depth = new Int32Array(16);
  private path = new Int32Array(16);
  /** Chunk index of draft node i while laying out a draft (-1: pruned). */
  private chunkOfDraft = new Int32Array(16);
  private keep = new Int32Array(0);
  /** The draft being verified (node i ↔ chunk index draftIndex⁻¹). */
  draft: Draft | undefined = undefined;

  constructor(ctx: StrategyContext, verifier: Verifier, drafter: Drafter) {
    this.ctx = ctx;
    this.verifier = verifier;
    this.drafter = drafter;
    const { model, signal, headRows, maxDraftTokens } = ctx.opts;
    this.treeAttention = model.metadata.treeAttention === true;
    const drafterHeads = drafter.heads ?? model.metadata.heads;
    this.extraHeads = model.metadata.heads > 1 && drafterHeads > 1 && maxDraftTokens > 0;
    ctx.draftView.heads = this.extraHeads ? Math.min(drafterHeads, model.metadata.heads) : 1;
    this.prefillOptions = { positions: 'last', headPositions: this.extraHeads ? 'last' : 'none', signal };
    this.headRows = headRows === 'auto' ? 'all' : headRows;
    this.treeHeadRows = headRows === 'auto' ? DEFAULT_TREE_HEAD_ROWS : headRows === 'last' ? 1 : headRows;
    // Report every head's depth, even those never reached.
    if (model.metadata.heads > 1) this.counters.recordDepths(model.metadata.heads - 1);
  }

  nextPass(prefill: boolean): Pass {
    if (prefill) return { tokens: this.ctx.opts.promptIds, options: this.prefillOptions };
    const n = this.chunkLength;
    const tokens = this.viewOf(this.chunkViews, this.chunk, n);
    return {
      tokens,
      options: {
        positions: 'all',
        headPositions: this.extraHeads ? this.headSelection(n) : 'none',
        ...(this.isTree && { tree: { parents: this.viewOf(this.parentViews, this.chunkParents, n) } }),
        signal: this.ctx.opts.signal,
      },
    };
  }

  /**
   * The chunk nodes that get the extra heads' logits: a chain keeps its `headRows` ('all' or
   * 'last', or the R likeliest end nodes); a tree gets the R nodes where acceptance most likely
   * stops — P(stop at v) = score(v) − Σ score(children of v), from the draft's `scores` (every
   * node when the draft has none).
   */
  private headSelection(n: number): 'all' | 'last' | Int32Array {
    const rows = this.isTree ? this.treeHeadRows : this.headRows;
    if (rows === 'all' || rows === 'last') return rows;
    // without the drafter's scores there is no telling where acceptance stops: every node
    if (rows >= n || !this.scored) return 'all';
    const end = this.endScore;
    const score = this.chunkScore;
    for (let c = 0; c < n; c++) end[c] = score[c] as number;
    for (let c = 1; c < n; c++) {
      const p = this.chunkParents[c] as number;
      end[p] = (end[p] as number) - (score[c] as number);
    }
    // the R best end nodes: insertion into a list sorted by descending end score (ties: the
    // earlier node), then back into increasing node order
    const list = this.headList;
    let size = 0;
    for (let c = 0; c < n; c++) {
      const e = end[c] as number;
      if (size === rows && e <= (end[list[size - 1] as number] as number)) continue;
      let i = size < rows ? size++ : size - 1;
      while (i > 0 && (end[list[i - 1] as number] as number) < e) {
        list[i] = list[i - 1] as number;
        i--;
      }
      list[i] = c;
    }
    const view = this.viewOf(this.headListViews, list, size);
    view.sort();
    return view;
  }

  async afterPass(result: ForwardResult, prefill: boolean): Promise<void> {
    const { ctx } = this;
    const out = this.out;
    if (prefill) {
      const k = this.verifier.verify(prepareView(ctx, ctx.view, result, undefined, 1), NO_CANDIDATES, out);
      if (k !== -1) this.badCandidate(k, 0);
      const next = this.checked(out[0] as number);
      if (!ctx.output.emit(next)) return;
      await this.prepare(result, undefined, undefined, next);
      return;
    }
    const n = this.chunkLength;
    const cacheBefore = ctx.cache.length - n;
    if (n > 1) this.counters.recordPass(n - 1, this.isTree);
    const candidates = this.candidates;
    const path = this.path;
    let pathLength = 1;
    path[0] = 0;
    let node = 0;
    let next: number;
    for (let depth = 1; ; depth++) {
      candidates.set(node);
      const row = this.rowOf(node);
      const k = this.verifier.verify(prepareView(ctx, ctx.view, result, row, 1), candidates, out);
      if (candidates.count > 0) this.counters.recordCheck(depth, k >= 0);
      if (k < 0) {
        next = this.checked(out[0] as number);
        break;
      }
      if (!Number.isInteger(k) || k >= candidates.count) this.badCandidate(k, candidates.count);
      node = candidates.node(k);
      path[pathLength++] = node;
      if (!ctx.output.emit(this.chunk[node] as number)) return;
    }
    if (n > 1) this.drafter.accepted?.({ proposed: n - 1, accepted: pathLength - 1, tree: this.isTree });
    if (pathLength < n) this.keepPath(cacheBefore, pathLength);
    if (!ctx.output.emit(next)) return;
    const headRow = result.heads > 1 ? headRowIndex(result, node, n) : -1;
    await this.prepare(result, node === n - 1 ? undefined : node, headRow, next);
  }

  report(): { acceptance: VerificationStats } {
    return { acceptance: this.counters.toStats() };
  }

  private badCandidate(k: number, count: number): never {
    throw samplerError(`Verifier "${this.verifier.name}" returned candidate ${String(k)} of ${count}.`, {
      expected: `-1..${count - 1}`,
      actual: k,
    });
  }

  /** The result row of chunk node `node` (undefined: the last row, which every head has). */
  private rowOf(node: number): number | undefined {
    return node === this.chunkLength - 1 ? undefined : node;
  }

  private checked(token: number): number {
    checkToken(`Verifier "${this.verifier.name}" emitted`, token, 0, this.ctx.opts.model.metadata.vocabSize);
    return token;
  }

  /** Keeps the cache prefix and the accepted path: a trim when the path is a chain prefix. */
  private keepPath(cacheBefore: number, pathLength: number): void {
    const path = this.path;
    let prefix = true;
    for (let i = 0; i < pathLength; i++) if (path[i] !== i) prefix = false;
    const cache = this.ctx.cache;
    if (prefix) {
      cache.trim(cacheBefore + pathLength);
      return;
    }
    const total = cacheBefore + pathLength;
    if (this.keep.length < total) this.keep = new Int32Array(Math.max(total, this.keep.length * 2));
    const keep = this.keep;
    for (let i = 0; i < cacheBefore; i++) keep[i] = i;
    for (let i = 0; i < pathLength; i++) keep[cacheBefore + i] = cacheBefore + (path[i] as number);
    cache.compact(keep.subarray(0, total));
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
    const { ctx } = this;
    this.chunk[0] = next;
    this.chunkParents[0] = -1;
    this.chunkLength = 1;
    this.isTree = false;
    this.draft = undefined;
    this.scored = false;
    this.childStart[0] = 0;
    this.childStart[1] = 0;
    const { model, maxDraftTokens } = ctx.opts;
    // Drafts past maxNewTokens are useless; the whole chunk must fit the context.
    const maxDepth = ctx.output.room();
    const maxNodes = Math.min(maxDraftTokens, model.metadata.contextLength - ctx.cache.length - 1);
    if (maxDepth <= 0 || maxNodes <= 0) return;
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
    this.draft = draft;
    this.layOut(draft, maxDepth, maxNodes);
  }

  /** Validates the draft and lays it out as the chunk after `next`, pruned to the limits. */
  private layOut(draft: Draft, maxDepth: number, maxNodes: number): void {
    const name = this.drafter.name;
    const tokens = draft?.tokens;
    if (tokens === undefined || tokens === null || typeof tokens.length !== 'number') {
      throw samplerError(`Drafter "${name}" returned ${tokens === undefined ? 'no tokens' : String(tokens)}.`, {
        actual: tokens,
      });
    }
    const m = tokens.length;
    if (m === 0) return;
    const parents = draft.parents;
    const scores = draft.scores;
    this.scored = scores !== undefined && scores.length === m;
    this.chunkScore[0] = 1;
    if (parents !== undefined) {
      try {
        checkTokenTree({ parents }, m, undefined, 'draft.parents');
      } catch (error) {
        throw samplerError(`Drafter "${name}" returned an invalid tree: ${(error as Error).message}`, {
          cause: (error as Error).message,
        });
      }
    }
    if (draft.probability !== undefined && draft.distribution === undefined) {
      throw samplerError(
        `Drafter "${name}" gives probability() but not distribution(): verification needs the whole drafting distribution (omit both for deterministic drafts).`,
        {},
      );
    }
    const vocab = this.ctx.opts.model.metadata.vocabSize;
    this.ensure(m + 1);
    // Chunk node c = draft node c − 1; depth 0 = next. Keep a node when its parent was kept, it is
    // within maxDepth and maxNodes, and (no tree attention) it is the first child of its parent.
    const chunkParents = this.chunkParents;
    const depth = this.depth;
    const chunkOf = this.chunkOfDraft;
    depth[0] = 0;
    let length = 1;
    let tree = false;
    let fallback = false;
    for (let i = 0; i < m; i++) {
      chunkOf[i] = -1;
      const p = parents === undefined ? i - 1 : (parents[i] as number);
      const parentChunk = p < 0 ? 0 : (chunkOf[p] as number);
      if (parentChunk < 0) continue;
      const d = (depth[parentChunk] as number) + 1;
      if (d > maxDepth || length - 1 >= maxNodes) continue;
      // First child of its parent? (children are laid out in order, so check the last kept node)
      let sibling = false;
      for (let c = length - 1; c > parentChunk; c--) {
        if (chunkParents[c] === parentChunk) {
          sibling = true;
          break;
        }
      }
      if (sibling && !this.treeAttention) {
        fallback = true;
        continue;
      }
      const id = tokens[i] as number;
      checkToken(`Drafter "${name}" drafted`, id, i, vocab);
      if (sibling || parentChunk !== length - 1) tree = true;
      this.chunk[length] = id;
      chunkParents[length] = parentChunk;
      this.draftIndex[length] = i;
      this.chunkScore[length] = this.scored ? (scores?.[i] as number) : 0;
      depth[length] = d;
      chunkOf[i] = length;
      length++;
    }
    if (fallback) {
      this.counters.treeFallback ??=
        'the model has no tree attention (its graph has no tree_attention_mask input): each drafted tree was verified as its first root-to-leaf path';
    }
    this.chunkLength = length;
    this.isTree = tree;
    // Children lists (CSR), in chunk order = the drafter's order.
    const start = this.childStart;
    start.fill(0, 0, length + 1);
    for (let c = 1; c < length; c++) {
      const slot = (chunkParents[c] as number) + 1;
      start[slot] = (start[slot] as number) + 1;
    }
    for (let c = 0; c < length; c++) start[c + 1] = (start[c + 1] as number) + (start[c] as number);
    const fill = this.depth; // reuse as per-node fill counters
    for (let c = 0; c < length; c++) fill[c] = start[c] as number;
    for (let c = 1; c < length; c++) {
      const p = chunkParents[c] as number;
      this.childList[fill[p] as number] = c;
      fill[p] = (fill[p] as number) + 1;
    }
  }

  private ensure(n: number): void {
    if (this.chunk.length >= n) return;
    const size = Math.max(n, this.chunk.length * 2);
    const grow = (a: Int32Array) => {
      const b = new Int32Array(size);
      b.set(a);
      return b;
    };
    this.chunk = grow(this.chunk);
    this.chunkParents = grow(this.chunkParents);
    this.draftIndex = grow(this.draftIndex);
    this.childList = grow(this.childList);
    this.depth = new Int32Array(size);
    this.path = grow(this.path);
    this.chunkOfDraft = new Int32Array(size);
    this.chunkScore = new Float64Array(size);
    this.headList = new Int32Array(size);
    this.endScore = new Float64Array(size);
    this.headListViews = [];
    this.childStart = new Int32Array(size + 1);
    this.chunkViews = [];
    this.parentViews = [];
  }

  private viewOf(views: Int32Array[], buffer: Int32Array, n: number): Int32Array {
    let v = views[n];
    if (v === undefined || v.buffer !== buffer.buffer) {
      v = buffer.subarray(0, n);
      views[n] = v;
    }
    return v;
  }
}
