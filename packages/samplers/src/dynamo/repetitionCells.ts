import type { HeadTopK } from './headTopK.js';
import type { JointCells } from './jointCells.js';

/**
 * What counts as a "repetition" cell (the paper divides them by 1.1 without defining them):
 * - 'within' (default): the cell repeats a token inside its own n-gram (x_i = x_j, e.g. "the the")
 *   — the failure mode specific to parallel heads, which predict positions independently and
 *   often agree on the same frequent token. Repetition of the context is the classic CTRL
 *   penalty, available as a logits processor, so it is not doubled here by default;
 * - 'context': some token of the cell occurs in the last `window` tokens of the history;
 * - 'both': either; 'off': none.
 * A cell is divided by the penalty once, however many repetitions it has.
 */
export type RepetitionMode = 'within' | 'context' | 'both' | 'off';

/**
 * Scratch for the context test: a vocabulary-sized mark array, set and cleared sparsely per step.
 */
export class RepetitionScratch {
  marks: Uint8Array = new Uint8Array(0);
}

/** Divides repetition cells by `penalty` (> 0; 1 = off). No allocation once `scratch` is sized. */
export function repetitionPenaltyCells(
  cells: JointCells,
  heads: readonly HeadTopK[],
  penalty: number,
  mode: RepetitionMode,
  history: ArrayLike<number>,
  window: number,
  scratch: RepetitionScratch,
): void {
  if (mode === 'off' || penalty === 1 || cells.size === 0 || cells.n < 1) return;
  const within = mode === 'within' || mode === 'both';
  const context = mode === 'context' || mode === 'both';
  const n = cells.n;
  const k = cells.k;
  const V = (heads[0] as HeadTopK).rank.length;
  let marks = scratch.marks;
  const from = Math.max(0, history.length - window);
  if (context) {
    if (marks.length !== V) marks = scratch.marks = new Uint8Array(V);
    for (let i = from; i < history.length; i++) {
      const t = history[i] as number;
      if (t >= 0 && t < V) marks[t] = 1;
    }
  }
  const inv = 1 / penalty;
  const v = cells.value;
  const index = cells.index;
  const ids0 = (heads[0] as HeadTopK).ids;
  const ids1 = n > 1 ? (heads[1] as HeadTopK).ids : ids0;
  const ids2 = n > 2 ? (heads[2] as HeadTopK).ids : ids0;
  const kk = k * k;
  for (let c = 0; c < cells.size; c++) {
    // grid index r0·k² + r1·k + r2 (n ≤ 3); the float quotients of these small integers floor exactly
    const idx = index[c] as number;
    let t2 = -1;
    let t1 = -1;
    let t0: number;
    if (n === 3) {
      const r0 = Math.floor(idx / kk);
      const rest = idx - r0 * kk;
      const r1 = Math.floor(rest / k);
      t0 = ids0[r0] as number;
      t1 = ids1[r1] as number;
      t2 = ids2[rest - r1 * k] as number;
    } else if (n === 2) {
      const r0 = Math.floor(idx / k);
      t0 = ids0[r0] as number;
      t1 = ids1[idx - r0 * k] as number;
    } else if (n === 1) {
      t0 = ids0[idx] as number;
    } else {
      // n > 3 (not produced by the DynaMo sampler): repeated tokens anywhere in the n-gram
      let x = idx;
      const seen: number[] = [];
      for (let h = n - 1; h >= 0; h--) {
        const r = x % k;
        x = (x - r) / k;
        seen.push((heads[h] as HeadTopK).ids[r] as number);
      }
      const repeated = within && new Set(seen).size < seen.length;
      const ctx = context && seen.some((t) => marks[t] === 1);
      if (repeated || ctx) v[c] = (v[c] as number) * inv;
      continue;
    }
    let repeated = false;
    if (within) repeated = (t1 >= 0 && (t0 === t1 || t1 === t2)) || (t2 >= 0 && t0 === t2);
    if (!repeated && context) {
      repeated = marks[t0] === 1 || (t1 >= 0 && marks[t1] === 1) || (t2 >= 0 && marks[t2] === 1);
    }
    if (repeated) v[c] = (v[c] as number) * inv;
  }
  if (context) {
    for (let i = from; i < history.length; i++) {
      const t = history[i] as number;
      if (t >= 0 && t < V) marks[t] = 0;
    }
  }
}
