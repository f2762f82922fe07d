import type { HeadTopK } from './headTopK.js';
import type { JointCells } from './jointCells.js';

/**
 * Scratch of {@link contextPenaltyCells}: a vocabulary-sized mark array (set and cleared sparsely
 * per step), one flag per (head, rank) and the divisors by count. Reused every step.
 */
export class ContextPenaltyScratch {
  marks: Uint8Array = new Uint8Array(0);
  flags: Uint8Array[] = [];
  readonly factors = new Float64Array(8);
}

/**
 * Context penalty on cells: a cell is divided by `penalty` once for each of its tokens that occurs
 * in the last `window` tokens of the history (a 3-gram with two such tokens is divided by
 * penalty²). This is the multi-token counterpart of the repetition penalty one-token sampling
 * applies to every next token: the extra heads see the history but not the tokens drawn before
 * theirs in the same cell, and the co-occurrence weights reward frequent phrases, so without it a
 * joint drawn whole keeps proposing n-grams the text already holds (docs/dynamo-sampler.md).
 * `penalty` 1 (or window 0) is off. `withinPenalty` (default 1: off) also divides, in the same pass,
 * a cell that repeats a token inside its own n-gram — the 'within' repetition cells of
 * {@link repetitionPenaltyCells}, fused here so the cells are decoded once.
 * O(window + cells), no allocation once `scratch` is sized.
 */
export function contextPenaltyCells(
  cells: JointCells,
  heads: readonly HeadTopK[],
  penalty: number,
  history: ArrayLike<number>,
  window: number,
  scratch: ContextPenaltyScratch,
  withinPenalty = 1,
): void {
  const n = cells.n;
  if (window <= 0) penalty = 1;
  if ((penalty === 1 && withinPenalty === 1) || cells.size === 0 || n < 1 || n > 3) return;
  const V = (heads[0] as HeadTopK).rank.length;
  if (scratch.marks.length !== V) scratch.marks = new Uint8Array(V);
  const marks = scratch.marks;
  const from = Math.max(0, history.length - window);
  for (let i = from; i < history.length; i++) {
    const t = history[i] as number;
    if (t >= 0 && t < V) marks[t] = 1;
  }
  const k = cells.k;
  let any = 0;
  for (let h = 0; h < n; h++) {
    let flags = scratch.flags[h];
    if (flags === undefined || flags.length < k) flags = scratch.flags[h] = new Uint8Array(k);
    const head = heads[h] as HeadTopK;
    const ids = head.ids;
    flags.fill(0);
    for (let r = 0; r < head.count; r++) {
      const f = marks[ids[r] as number] as number;
      flags[r] = f;
      any |= f;
    }
  }
  for (let i = from; i < history.length; i++) {
    const t = history[i] as number;
    if (t >= 0 && t < V) marks[t] = 0;
  }
  const within = withinPenalty !== 1 && n > 1;
  if (any === 0 && !within) return;
  const factors = scratch.factors;
  factors[0] = 1;
  for (let j = 1; j <= n; j++) factors[j] = (factors[j - 1] as number) / penalty;
  const f0 = scratch.flags[0] as Uint8Array;
  const f1 = (n > 1 ? scratch.flags[1] : f0) as Uint8Array;
  const f2 = (n > 2 ? scratch.flags[2] : f0) as Uint8Array;
  const v = cells.value;
  const index = cells.index;
  const kk = k * k;
  const ids0 = (heads[0] as HeadTopK).ids;
  const ids1 = (heads[n > 1 ? 1 : 0] as HeadTopK).ids;
  const ids2 = (heads[n > 2 ? 2 : 0] as HeadTopK).ids;
  const withinFactor = 1 / withinPenalty;
  for (let c = 0; c < cells.size; c++) {
    // grid index r0·k² + r1·k + r2 (n ≤ 3); the float quotients of these small integers floor exactly
    const idx = index[c] as number;
    let count: number;
    let repeats = false;
    if (n === 3) {
      const r0 = Math.floor(idx / kk);
      const rest = idx - r0 * kk;
      const r1 = Math.floor(rest / k);
      const r2 = rest - r1 * k;
      count = (f0[r0] as number) + (f1[r1] as number) + (f2[r2] as number);
      if (within) {
        const t0 = ids0[r0] as number;
        const t1 = ids1[r1] as number;
        const t2 = ids2[r2] as number;
        repeats = t0 === t1 || t1 === t2 || t0 === t2;
      }
    } else if (n === 2) {
      const r0 = Math.floor(idx / k);
      const r1 = idx - r0 * k;
      count = (f0[r0] as number) + (f1[r1] as number);
      if (within) repeats = ids0[r0] === ids1[r1];
    } else {
      count = f0[idx] as number;
    }
    let f = factors[count] as number;
    if (repeats) f *= withinFactor;
    if (f !== 1) v[c] = (v[c] as number) * f;
  }
}
