import { compactCells, type JointCells } from './jointCells.js';

/**
 * Which static threshold zeroes small cells (the paper: "zero cells below eps_b"; ambiguous):
 * - 'epsilon-power' (default): eps_b^(n-1), the same bound as the back-off test — a cell survives
 *   only if it alone could justify emitting n tokens. With the literal 'epsilon' reading every
 *   surviving cell is ≥ eps_b ≥ eps_b^(n-1), so the back-off rule's exponent would never matter;
 * - 'epsilon': eps_b for every n (literal);
 * - 'off': no static threshold;
 * - a number: that fixed threshold.
 */
export type StaticThresholdMode = 'epsilon-power' | 'epsilon' | 'off' | number;

/** The static threshold value for n-token cells. */
export function staticThresholdValue(mode: StaticThresholdMode, epsilon: number, n: number): number {
  if (mode === 'off') return 0;
  if (mode === 'epsilon') return epsilon;
  if (mode === 'epsilon-power') return epsilon ** (n - 1);
  return mode;
}

/**
 * {@link staticThreshold} with the threshold read from `thresholds[n]` (precomputed with
 * {@link staticThresholdValue}): a typed slot instead of a double argument, which V8 would box.
 */
export function staticThresholdAt(cells: JointCells, thresholds: Float64Array, n: number): void {
  const t = thresholds[n] as number;
  if (!(t > 0)) return;
  const v = cells.value;
  for (let c = 0; c < cells.size; c++) if ((v[c] as number) < t) v[c] = 0;
  compactCells(cells);
}

/** Zeroes (and drops) cells whose value is below `threshold`. */
export function staticThreshold(cells: JointCells, threshold: number): void {
  if (!(threshold > 0)) return;
  const v = cells.value;
  for (let c = 0; c < cells.size; c++) if ((v[c] as number) < threshold) v[c] = 0;
  compactCells(cells);
}
