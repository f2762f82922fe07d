import type { CoOccurrenceTables } from './coOccurrenceTables.js';

/**
 * The most likely next tokens after a context of one or two tokens, from the co-occurrence tables
 * alone: p(c | a, b) = p^(a,b,c) / p^(a,b) from the trigram row of (a, b) when the tables have it,
 * else p(c | b) = p^(b,c) / p^(b) from the bigram row of b (or nothing: never seen). Probabilities
 * are the tables' own estimates (rows pruned by min-count are not renormalised, so they sum to
 * ≤ 1). Writes the best `k` into `ids` / `probs` in descending probability and returns how many.
 * O(row length · log k), no allocation.
 */
export function ngramContinuations(
  tables: CoOccurrenceTables,
  a: number,
  b: number,
  k: number,
  ids: Int32Array,
  probs: Float64Array,
): number {
  const V = tables.vocabSize;
  if (!(b >= 0 && b < V) || k <= 0) return 0;
  const h = tables.header;
  const logTokens = Math.log(h.tokens + h.smoothing * V);
  const unigrams = tables.unigrams;
  let count = 0;
  const offer = (c: number, p: number): void => {
    if (!(p > 0)) return;
    const q = Math.min(p, 1);
    if (count === k && q <= (probs[k - 1] as number)) return;
    let i = count < k ? count++ : k - 1;
    while (i > 0 && (probs[i - 1] as number) < q) {
      probs[i] = probs[i - 1] as number;
      ids[i] = ids[i - 1] as number;
      i--;
    }
    probs[i] = q;
    ids[i] = c;
  };
  const logUnigram = (t: number) => Math.log((unigrams[t] as number) + h.smoothing) - logTokens;
  const e = a >= 0 && a < V && tables.order >= 3 ? tables.findBigram(a, b) : -1;
  const tOff = tables.trigramOffsets;
  const tIds = tables.trigramIds;
  if (e >= 0 && tOff !== undefined && tIds !== undefined && (tOff[e + 1] as number) > (tOff[e] as number)) {
    // log p(c | a, b) = logPMI(a, b, c) − logPMI(a, b) + log p(c)
    const pair = tables.bigramLogPmi(a, e);
    for (let y = tOff[e] as number, end = tOff[e + 1] as number; y < end; y++) {
      const c = tIds[y] as number;
      offer(c, Math.exp(tables.trigramLogPmi(a, b, y) - pair + logUnigram(c)));
    }
    return count;
  }
  // log p(c | b) = logPMI(b, c) + log p(c)
  const off = tables.bigramOffsets;
  const bIds = tables.bigramIds;
  for (let x = off[b] as number, end = off[b + 1] as number; x < end; x++) {
    const c = bIds[x] as number;
    offer(c, Math.exp(tables.bigramLogPmi(b, x) + logUnigram(c)));
  }
  return count;
}
