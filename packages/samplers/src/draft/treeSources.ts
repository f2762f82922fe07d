import type { CoOccurrenceTables } from '../tables/coOccurrenceTables.js';
import { ngramContinuations } from '../tables/ngramContinuations.js';
import type { CandidateTrie } from './candidateTrie.js';
import { promptLookup } from './promptLookup.js';

/** Scratch of the tree sources (reused from draft to draft). */
export class TreeSourceScratch {
  ids = new Int32Array(16);
  probs = new Float64Array(16);
  frontier = new Int32Array(64);
  next = new Int32Array(64);
  ensure(k: number): void {
    if (this.ids.length < k) {
      this.ids = new Int32Array(k);
      this.probs = new Float64Array(k);
    }
  }
}

/**
 * Grows the trie below `nodes` by `depth` levels from the n-gram tables: each node's best `width`
 * continuations given its last two tokens (`tokenBefore(node)` gives the token before a node's,
 * the root's being `last`), scored parent score × p(c | a, b). Only the `keep` best nodes of a level
 * are grown further.
 */
export function extendWithTables(
  trie: CandidateTrie,
  tables: CoOccurrenceTables,
  nodes: ArrayLike<number>,
  count: number,
  depth: number,
  width: number,
  keep: number,
  history: ArrayLike<number>,
  scratch: TreeSourceScratch,
): void {
  scratch.ensure(width);
  if (scratch.frontier.length < Math.max(count, keep * width)) {
    scratch.frontier = new Int32Array(Math.max(count, keep * width) * 2);
    scratch.next = new Int32Array(scratch.frontier.length);
  }
  let frontier = scratch.frontier;
  let next = scratch.next;
  for (let i = 0; i < count; i++) frontier[i] = nodes[i] as number;
  let size = count;
  for (let level = 0; level < depth && size > 0; level++) {
    // keep the best `keep` nodes of the frontier
    if (size > keep) {
      const f = frontier.subarray(0, size);
      f.sort((x, y) => trie.scoreOf(y) - trie.scoreOf(x));
      size = keep;
    }
    let out = 0;
    for (let i = 0; i < size; i++) {
      const node = frontier[i] as number;
      const b = node < 0 ? (history[history.length - 1] as number) : trie.tokenOf(node);
      const a = tokenBefore(trie, node, history);
      const n = ngramContinuations(tables, a, b, width, scratch.ids, scratch.probs);
      const s = trie.scoreOf(node);
      for (let j = 0; j < n; j++) {
        next[out++] = trie.add(node, scratch.ids[j] as number, s * (scratch.probs[j] as number));
      }
    }
    const t = frontier;
    frontier = next;
    next = t;
    size = out;
  }
}

/** The token before `node`'s in the text: its parent's token, or the history's. */
function tokenBefore(trie: CandidateTrie, node: number, history: ArrayLike<number>): number {
  if (node < 0) return history.length >= 2 ? (history[history.length - 2] as number) : -1;
  const depth = trie.depthOf(node);
  if (depth === 1) return history[history.length - 1] as number;
  return trie.tokenOf(trie.parentOf(node));
}

/**
 * Adds prompt-lookup continuations (tokens that followed earlier occurrences of the text's last
 * tokens) under the root: a match of n tokens gives its continuation the score `confidence[n]`
 * per token (compounded along the path).
 */
export function addPromptLookup(
  trie: CandidateTrie,
  history: ArrayLike<number>,
  options: { minNgram: number; maxNgram: number; length: number; maxMatches: number; confidence: readonly number[] },
): void {
  promptLookup(history, options, (start, end, n) => {
    const rate = options.confidence[Math.min(n, options.confidence.length - 1)] as number;
    let node = -1;
    let score = 1;
    for (let i = start; i < end; i++) {
      score *= rate;
      node = trie.add(node, history[i] as number, score);
    }
  });
}
