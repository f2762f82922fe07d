import type { DraftCandidates, ForwardResult, Verifier } from '@dynamojs/core';
import { checkToken, samplerError } from '../checks.js';
import { prepareView, type StrategyContext } from '../strategy.js';
import type { DraftLayout } from './draftLayout.js';
import type { VerificationCounters } from './verificationCounters.js';

/**
 * The candidates of one position: the children of one chunk node, in the drafter's order. A
 * reused object, re-pointed at every position (no allocation per position).
 */
class ChildCandidates implements DraftCandidates {
  count = 0;
  private from = 0;
  constructor(private readonly layout: DraftLayout) {}

  set(node: number): void {
    this.from = this.layout.childOffset(node);
    this.count = this.layout.childCount(node);
  }

  /** Chunk index of candidate i. */
  node(i: number): number {
    return this.layout.child(this.from + i);
  }

  token(i: number): number {
    return this.layout.token(this.node(i));
  }

  proposal(i: number): ArrayLike<number> | undefined {
    return this.layout.proposal(this.node(i));
  }
}

const NO_CANDIDATES: DraftCandidates = { count: 0, token: () => -1, proposal: () => undefined };

/**
 * The verification of one pass's chunk: from node 0 (`next`), the verifier accepts one of the
 * current node's children (its candidates) or emits the base model's own token, which ends the
 * walk. Emits the accepted tokens, records the checks, and leaves the accepted path (chunk nodes
 * from 0, in a buffer it owns), its last node and the token after it.
 *
 * With a constraint the verifier's view is masked by the grammar after the path so far (the
 * constrained distribution), and where the grammar forces the token (forced runs) the walk takes
 * it without the verifier: its constrained distribution is a point mass, so accepting the
 * candidate that carries it (or emitting it when none does) is exact and draws nothing.
 */
export class VerificationWalk {
  private readonly ctx: StrategyContext;
  private readonly verifier: Verifier;
  private readonly layout: DraftLayout;
  private readonly counters: VerificationCounters;
  private readonly candidates: ChildCandidates;
  private readonly out = new Int32Array(1);
  private nodes = new Int32Array(16);
  private length = 0;
  private last = 0;
  private after = -1;

  constructor(ctx: StrategyContext, verifier: Verifier, layout: DraftLayout, counters: VerificationCounters) {
    this.ctx = ctx;
    this.verifier = verifier;
    this.layout = layout;
    this.counters = counters;
    this.candidates = new ChildCandidates(layout);
  }

  /** The accepted path's chunk nodes (the first {@link pathLength}; node 0 first). */
  get path(): Int32Array {
    return this.nodes;
  }

  get pathLength(): number {
    return this.length;
  }

  /** The path's last node: where the next draft is made. */
  get node(): number {
    return this.last;
  }

  /** The verifier's own token after the path (the next pass's `next`). */
  get next(): number {
    return this.after;
  }

  /** The verifier's token after the prompt (the prefill's last row, nothing drafted). */
  first(result: ForwardResult): number {
    const { ctx } = this;
    const forced = this.forcedToken();
    if (forced >= 0) return forced;
    const k = this.verifier.verify(prepareView(ctx, ctx.view, result, undefined, 1), NO_CANDIDATES, this.out);
    if (k !== -1) this.badCandidate(k, 0);
    return this.checked(this.out[0] as number);
  }

  /**
   * Walks the layout's chunk over `result` (the pass that fed it), emitting each accepted token.
   * False when the output stopped on one (the path is then the accepted part; next is not set).
   */
  walk(result: ForwardResult): boolean {
    const { ctx, layout, candidates, out } = this;
    const n = layout.length;
    if (this.nodes.length < n) this.nodes = new Int32Array(Math.max(n, this.nodes.length * 2));
    const path = this.nodes;
    let pathLength = 1;
    path[0] = 0;
    let node = 0;
    for (let depth = 1; ; depth++) {
      candidates.set(node);
      const forced = this.forcedToken();
      if (forced >= 0) {
        let k = -1;
        for (let i = 0; i < candidates.count; i++) {
          if (candidates.token(i) === forced) {
            k = i;
            break;
          }
        }
        if (candidates.count > 0) this.counters.recordCheck(depth, k >= 0);
        if (k < 0) {
          this.after = forced;
          break;
        }
        node = candidates.node(k);
        path[pathLength++] = node;
        if (!ctx.output.emit(forced)) {
          this.length = pathLength;
          this.last = node;
          return false;
        }
        continue;
      }
      // the last node's row is the result's last row, which every head has
      const row = node === n - 1 ? undefined : node;
      const k = this.verifier.verify(prepareView(ctx, ctx.view, result, row, 1), candidates, out);
      if (candidates.count > 0) this.counters.recordCheck(depth, k >= 0);
      if (k < 0) {
        this.after = this.checked(out[0] as number);
        break;
      }
      if (!Number.isInteger(k) || k >= candidates.count) this.badCandidate(k, candidates.count);
      node = candidates.node(k);
      path[pathLength++] = node;
      if (!ctx.output.emit(layout.token(node))) {
        // the output stopped on it: the path so far is still what was accepted (next is not set)
        this.length = pathLength;
        this.last = node;
        return false;
      }
    }
    this.length = pathLength;
    this.last = node;
    return true;
  }

  /** The token the grammar forces at the walk's position (-1: none, or forced runs are off). */
  private forcedToken(): number {
    const tracker = this.ctx.constraint;
    if (tracker === undefined || !this.ctx.opts.forcedRuns) return -1;
    const token = tracker.forcedToken();
    if (token >= 0) tracker.forcedTokens++;
    return token;
  }

  private badCandidate(k: number, count: number): never {
    throw samplerError(`Verifier "${this.verifier.name}" returned candidate ${String(k)} of ${count}.`, {
      expected: `-1..${count - 1}`,
      actual: k,
    });
  }

  private checked(token: number): number {
    checkToken(`Verifier "${this.verifier.name}" emitted`, token, 0, this.ctx.opts.model.metadata.vocabSize);
    return token;
  }
}
