import { checkTokenTree, type Draft } from '@dynamojs/core';
import { checkToken, samplerError } from '../checks.js';
import { PrefixViews } from './prefixViews.js';

/** Chunk nodes the buffers hold before they first grow. */
const INITIAL_CAPACITY = 16;

/** A copy of `a` in a buffer of `size` (≥ a.length). */
function grown<T extends Int32Array | Float64Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}

/** What the head-row planner reads of a laid-out chunk. */
export interface ScoredChunk {
  /** Chunk nodes: `next` and the kept drafted nodes. */
  readonly length: number;
  /** Whether the chunk branches (it is fed with `options.tree`). */
  readonly isTree: boolean;
  /** Whether the draft came with `scores`. */
  readonly scored: boolean;
  /** The parent of chunk node `node` ≥ 1. */
  parent(node: number): number;
  /** The drafter's estimate that acceptance reaches chunk node `node` (1 for `next`). */
  score(node: number): number;
}

/**
 * One pass's chunk: `[next, drafted nodes…]`. Validates a {@link Draft}, prunes it to the limits
 * (depth, node count, and its first root-to-leaf path without tree attention) and lays out what
 * is kept, in the drafter's order: each node's token, parent, draft index and score, and the
 * children of every node (CSR). Owns its buffers and grows them together, copying what they hold.
 */
export class DraftLayout implements ScoredChunk {
  private readonly drafterName: string;
  private readonly vocabSize: number;
  private readonly treeAttention: boolean;
  /** Chunk node i: token, parent (-1 for `next`), draft node (i ≥ 1), score. */
  private tokens = new Int32Array(INITIAL_CAPACITY);
  private parents = new Int32Array(INITIAL_CAPACITY);
  private draftIndex = new Int32Array(INITIAL_CAPACITY);
  private scores = new Float64Array(INITIAL_CAPACITY);
  /** Children of chunk node i: childList[childStart[i] .. childStart[i + 1]). */
  private childStart = new Int32Array(INITIAL_CAPACITY + 1);
  private childList = new Int32Array(INITIAL_CAPACITY);
  /** Scratch of layOut: the chunk nodes' depths, then the children lists' fill counters. */
  private depth = new Int32Array(INITIAL_CAPACITY);
  /** Scratch of layOut: the chunk node of draft node i (-1: pruned). */
  private chunkOfDraft = new Int32Array(INITIAL_CAPACITY);
  private readonly tokenViews = new PrefixViews();
  private readonly parentViews = new PrefixViews();
  private size = 0;
  private tree = false;
  private hasScores = false;
  private cut = false;
  private current: Draft | undefined = undefined;

  constructor(drafterName: string, vocabSize: number, treeAttention: boolean) {
    this.drafterName = drafterName;
    this.vocabSize = vocabSize;
    this.treeAttention = treeAttention;
  }

  get length(): number {
    return this.size;
  }

  get isTree(): boolean {
    return this.tree;
  }

  get scored(): boolean {
    return this.hasScores;
  }

  /** Whether the last layOut cut a tree to its first path (no tree attention). */
  get fellBack(): boolean {
    return this.cut;
  }

  /** The draft laid out (undefined: none this pass). */
  get draft(): Draft | undefined {
    return this.current;
  }

  token(node: number): number {
    return this.tokens[node] as number;
  }

  parent(node: number): number {
    return this.parents[node] as number;
  }

  score(node: number): number {
    return this.scores[node] as number;
  }

  /** Where node `node`'s children start in the children list (see {@link child}). */
  childOffset(node: number): number {
    return this.childStart[node] as number;
  }

  childCount(node: number): number {
    return (this.childStart[node + 1] as number) - (this.childStart[node] as number);
  }

  /** The chunk node at `offset` of the children list. */
  child(offset: number): number {
    return this.childList[offset] as number;
  }

  /** The distribution chunk node `node` ≥ 1 was drafted from, when the draft gives them. */
  proposal(node: number): ArrayLike<number> | undefined {
    return this.current?.distribution?.(this.draftIndex[node] as number);
  }

  /** The chunk's tokens (a reused view). */
  tokensView(): Int32Array {
    return this.tokenViews.of(this.tokens, this.size);
  }

  /** The chunk's parents, for `options.tree` (a reused view). */
  parentsView(): Int32Array {
    return this.parentViews.of(this.parents, this.size);
  }

  /** Starts a pass's chunk: `[next]`, nothing drafted yet. */
  begin(next: number): void {
    this.tokens[0] = next;
    this.parents[0] = -1;
    this.scores[0] = 1;
    this.childStart[0] = 0;
    this.childStart[1] = 0;
    this.size = 1;
    this.tree = false;
    this.hasScores = false;
    this.cut = false;
    this.current = undefined;
  }

  /** Validates the draft and lays it out after `next` (see {@link begin}), pruned to the limits. */
  layOut(draft: Draft, maxDepth: number, maxNodes: number): void {
    this.current = draft;
    const name = this.drafterName;
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
    this.hasScores = scores !== undefined && scores.length === m;
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
    this.reserve(m + 1);
    // Chunk node c = draft node c − 1; depth 0 = next. Keep a node when its parent was kept, it is
    // within maxDepth and maxNodes, and (no tree attention) it is the first child of its parent.
    const chunkParents = this.parents;
    const depth = this.depth;
    const chunkOf = this.chunkOfDraft;
    depth[0] = 0;
    let length = 1;
    let tree = false;
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
        this.cut = true;
        continue;
      }
      const id = tokens[i] as number;
      checkToken(`Drafter "${name}" drafted`, id, i, this.vocabSize);
      if (sibling || parentChunk !== length - 1) tree = true;
      this.tokens[length] = id;
      chunkParents[length] = parentChunk;
      this.draftIndex[length] = i;
      this.scores[length] = this.hasScores ? (scores?.[i] as number) : 0;
      depth[length] = d;
      chunkOf[i] = length;
      length++;
    }
    this.size = length;
    this.tree = tree;
    this.linkChildren();
  }

  /** The children lists (CSR), in chunk order = the drafter's order. */
  private linkChildren(): void {
    const length = this.size;
    const parents = this.parents;
    const start = this.childStart;
    start.fill(0, 0, length + 1);
    for (let c = 1; c < length; c++) {
      const slot = (parents[c] as number) + 1;
      start[slot] = (start[slot] as number) + 1;
    }
    for (let c = 0; c < length; c++) start[c + 1] = (start[c + 1] as number) + (start[c] as number);
    const fill = this.depth; // the depths are spent: reuse as per-node fill counters
    for (let c = 0; c < length; c++) fill[c] = start[c] as number;
    for (let c = 1; c < length; c++) {
      const p = parents[c] as number;
      this.childList[fill[p] as number] = c;
      fill[p] = (fill[p] as number) + 1;
    }
  }

  /**
   * Room for `n` chunk nodes (and n − 1 draft nodes): every buffer grows at once and keeps what it
   * holds, so what {@link begin} wrote of node 0 survives a growth.
   */
  private reserve(n: number): void {
    if (this.tokens.length >= n) return;
    const size = Math.max(n, this.tokens.length * 2);
    this.tokens = grown(this.tokens, size);
    this.parents = grown(this.parents, size);
    this.draftIndex = grown(this.draftIndex, size);
    this.scores = grown(this.scores, size);
    this.childStart = grown(this.childStart, size + 1);
    this.childList = grown(this.childList, size);
    this.depth = grown(this.depth, size);
    this.chunkOfDraft = grown(this.chunkOfDraft, size);
  }
}
