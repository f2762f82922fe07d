import type { Draft } from '@dynamojs/core';
import type { ConstraintTracker } from '../../constraintTracker.js';

/**
 * Prunes a draft to the grammar before it is verified: each drafted node is checked against the
 * grammar state after its prefix (`next` and its ancestors — the tracker stands after `next`), and
 * a node the grammar rejects is cut with its subtree, so no row of the pass is spent on a branch
 * that can never be emitted.
 *
 * Exactness: a rejected node has probability 0 under the constrained distribution, so the verifier
 * would reject it anyway; its subtree is unreachable. A deterministic node (no drafting
 * distribution) is dropped outright (for a point-mass proposal the residual after rejecting it is
 * the constrained distribution itself). A sampled node (the draft gives `distribution`) is kept as
 * a leaf: speculative sampling's residual over its siblings depends on it, and keeping it keeps
 * that residual — and so the output distribution — exact.
 */
export class GrammarPruner {
  /** Draft nodes pushed on the tracker (the current path), and scratch per node. */
  private path: number[] = [];
  private readonly ancestors: number[] = [];
  private status = new Int8Array(16);
  /** The tokens of the draft being pruned. */
  private currentTokens: ArrayLike<number> | undefined;

  /** The draft cut to the grammar (the same object when nothing was cut). */
  prune(draft: Draft, tracker: ConstraintTracker): Draft {
    const tokens = draft.tokens;
    const m = tokens?.length ?? 0;
    if (m === 0) return draft;
    const parents = draft.parents;
    const keepInvalid = draft.distribution !== undefined;
    if (this.status.length < m) this.status = new Int8Array(Math.max(m, this.status.length * 2));
    // 0: dropped; 1: admitted; 2: rejected but kept as a leaf
    const status = this.status;
    const path = this.path;
    path.length = 0;
    this.currentTokens = tokens;
    let kept = 0;
    try {
      for (let i = 0; i < m; i++) {
        const p = parents === undefined ? i - 1 : (parents[i] as number);
        if (p >= 0 && status[p] !== 1) {
          status[i] = 0;
          continue;
        }
        this.moveTo(p, parents, tracker);
        if (tracker.push(tokens[i] as number)) {
          path.push(i);
          status[i] = 1;
          kept++;
        } else if (keepInvalid) {
          status[i] = 2;
          kept++;
        } else {
          status[i] = 0;
        }
      }
    } finally {
      tracker.restore();
      path.length = 0;
      this.currentTokens = undefined;
    }
    if (kept === m) return draft;
    tracker.prunedNodes += m - kept;
    return this.filtered(draft, m, kept);
  }

  /** Pops / pushes the tracker so the path is node `p`'s root-to-node path (-1: `next` alone). */
  private moveTo(p: number, parents: ArrayLike<number> | undefined, tracker: ConstraintTracker): void {
    const path = this.path;
    if (path.length === 0 ? p < 0 : path[path.length - 1] === p) return;
    const chain = this.ancestors;
    chain.length = 0;
    for (let a = p; a >= 0; a = parents === undefined ? a - 1 : (parents[a] as number)) chain.push(a);
    chain.reverse();
    let common = 0;
    while (common < path.length && common < chain.length && path[common] === chain[common]) common++;
    tracker.pop(path.length - common);
    path.length = common;
    const draftTokens = this.currentTokens;
    for (let k = common; k < chain.length; k++) {
      const node = chain[k] as number;
      tracker.push(draftTokens?.[node] as number);
      path.push(node);
    }
  }

  private filtered(draft: Draft, m: number, kept: number): Draft {
    const status = this.status;
    const original = new Int32Array(kept);
    const index = new Int32Array(m).fill(-1);
    let n = 0;
    for (let i = 0; i < m; i++) {
      if (status[i] === 0) continue;
      original[n] = i;
      index[i] = n++;
    }
    const tokens = new Int32Array(kept);
    for (let j = 0; j < kept; j++) tokens[j] = draft.tokens[original[j] as number] as number;
    const parents = draft.parents;
    let newParents: Int32Array | undefined;
    if (parents !== undefined) {
      newParents = new Int32Array(kept);
      for (let j = 0; j < kept; j++) {
        const p = parents[original[j] as number] as number;
        newParents[j] = p < 0 ? -1 : (index[p] as number);
      }
    }
    const { probability, distribution, scores } = draft;
    let newScores: Float64Array | undefined;
    if (scores !== undefined && scores.length === m) {
      newScores = new Float64Array(kept);
      for (let j = 0; j < kept; j++) newScores[j] = scores[original[j] as number] as number;
    }
    return {
      tokens,
      ...(newParents !== undefined && { parents: newParents }),
      ...(probability !== undefined && { probability: (i: number) => probability(original[i] as number) }),
      ...(distribution !== undefined && { distribution: (i: number) => distribution(original[i] as number) }),
      ...(newScores !== undefined && { scores: newScores }),
    };
  }
}
