import type { Draft } from '@dynamojs/core';

/**
 * A prefix tree of candidate continuations with a score per node — the estimated probability that
 * verification accepts the path up to it — from which a drafter takes its tree: the `budget` best
 * nodes. A node's score is capped at its parent's (a path cannot be likelier than its prefix), so
 * the best nodes always form a prefix-closed tree; ties go to the shallower node. Candidates from
 * several sources (the DynaMo joint, n-gram tables, prompt lookup) merge: the same token under the
 * same parent is one node with the larger score. Buffers are reused from draft to draft.
 *
 * Node -1 is the root (the exact token `next` the draft follows).
 */
export class CandidateTrie {
  size = 0;
  private token = new Int32Array(64);
  private parent = new Int32Array(64);
  private depth = new Int32Array(64);
  private score = new Float64Array(64);
  private firstChild = new Int32Array(64);
  private nextSibling = new Int32Array(64);
  private rootChild = -1;
  private order = new Int32Array(64);
  private selectedIndex = new Int32Array(64);
  private outTokens = new Int32Array(64);
  private outParents = new Int32Array(64);
  private outScores = new Float64Array(64);

  reset(): void {
    this.size = 0;
    this.rootChild = -1;
  }

  /** Depth of a node (1 = a child of the root). */
  depthOf(node: number): number {
    return node < 0 ? 0 : (this.depth[node] as number);
  }

  scoreOf(node: number): number {
    return node < 0 ? 1 : (this.score[node] as number);
  }

  tokenOf(node: number): number {
    return this.token[node] as number;
  }

  parentOf(node: number): number {
    return this.parent[node] as number;
  }

  /**
   * Adds `token` under `parent` (-1: the root) with `score` (capped at the parent's), or raises the
   * score of the existing child with that token. Returns the node.
   */
  add(parent: number, token: number, score: number): number {
    const capped = Math.min(score, this.scoreOf(parent));
    let c = parent < 0 ? this.rootChild : (this.firstChild[parent] as number);
    while (c >= 0) {
      if (this.token[c] === token) {
        if (capped > (this.score[c] as number)) this.score[c] = capped;
        return c;
      }
      c = this.nextSibling[c] as number;
    }
    if (this.size === this.token.length) this.grow();
    const n = this.size++;
    this.token[n] = token;
    this.parent[n] = parent;
    this.depth[n] = this.depthOf(parent) + 1;
    this.score[n] = capped;
    this.firstChild[n] = -1;
    if (parent < 0) {
      this.nextSibling[n] = this.rootChild;
      this.rootChild = n;
    } else {
      this.nextSibling[n] = this.firstChild[parent] as number;
      this.firstChild[parent] = n;
    }
    return n;
  }

  /**
   * The `budget` best nodes as a tree draft: nodes in descending score (ties: shallower first), so
   * every parent comes before its children and siblings are in the order verification should try
   * them; `scores` are the nodes' scores. The arrays are reused by the next call.
   */
  select(budget: number): Draft {
    const n = this.size;
    const order = this.order;
    for (let i = 0; i < n; i++) order[i] = i;
    const score = this.score;
    const depth = this.depth;
    const sorted = order.subarray(0, n);
    sorted.sort((a, b) => (score[b] as number) - (score[a] as number) || (depth[a] as number) - (depth[b] as number));
    const m = Math.min(budget, n);
    const index = this.selectedIndex;
    index.fill(-1, 0, n);
    let out = 0;
    for (let i = 0; i < n && out < m; i++) {
      const node = sorted[i] as number;
      const p = this.parent[node] as number;
      // Capped scores keep parents first; a parent that did not make the cut drops the node.
      const pi = p < 0 ? -1 : (index[p] as number);
      if (p >= 0 && pi < 0) continue;
      index[node] = out;
      this.outTokens[out] = this.token[node] as number;
      this.outParents[out] = pi;
      this.outScores[out] = score[node] as number;
      out++;
    }
    return {
      tokens: this.outTokens.subarray(0, out),
      parents: this.outParents.subarray(0, out),
      scores: this.outScores.subarray(0, out),
    };
  }

  private grow(): void {
    const size = this.token.length * 2;
    const g = (a: Int32Array) => {
      const b = new Int32Array(size);
      b.set(a);
      return b;
    };
    this.token = g(this.token);
    this.parent = g(this.parent);
    this.depth = g(this.depth);
    this.firstChild = g(this.firstChild);
    this.nextSibling = g(this.nextSibling);
    const s = new Float64Array(size);
    s.set(this.score);
    this.score = s;
    this.order = new Int32Array(size);
    this.selectedIndex = new Int32Array(size);
    this.outTokens = new Int32Array(size);
    this.outParents = new Int32Array(size);
    this.outScores = new Float64Array(size);
  }
}
