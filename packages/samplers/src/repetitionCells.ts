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
  for (let c = 0; c < cells.size; c++) {
    let idx = cells.index[c] as number;
    let t2 = -1;
    let t1 = -1;
    let t0 = -1;
    for (let h = n - 1; h >= 0; h--) {
      const r = idx % k;
      idx = (idx - r) / k;
      const tok = (heads[h] as HeadTopK).ids[r] as number;
      if (h === 2) t2 = tok;
      else if (h === 1) t1 = tok;
      else t0 = tok;
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
