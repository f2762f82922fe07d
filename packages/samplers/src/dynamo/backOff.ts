import type { JointCells } from './jointCells.js';

/**
 * Dynamic back-off test (Algorithm 1): keep n tokens only if some cell exceeds eps_b^(n−1).
 * The paper backs off when "every cell < eps_b^(n−1)"; this uses ≤ (keep only if max > bound), which
 * differs only at exact equality and makes both ends of the knob exact: eps_b = 0 keeps n whenever
 * any cell survived (is > 0) and backs off only from an all-masked joint; eps_b = 1 always backs
 * off (the joint's cells are ≤ 1 after full renormalisation), i.e. plain one-token sampling.
 */
export function shouldBackOff(cells: JointCells, epsilon: number, n: number): boolean {
  if (cells.size === 0 || epsilon >= 1) return true;
  let bound = 1; // eps^(n-1) by multiplication: `**` and a returned max would box doubles in V8
  for (let i = 1; i < n; i++) bound *= epsilon;
  const v = cells.value;
  for (let c = 0; c < cells.size; c++) if ((v[c] as number) > bound) return false;
  return true;
}

/**
 * {@link shouldBackOff} with the bound precomputed: back off unless some cell exceeds `bounds[n]`
 * (eps_b^(n−1), or +Infinity when eps_b ≥ 1). Reads its threshold from a typed slot so the hot
 * path passes no doubles (V8 would box them).
 */
export function shouldBackOffAt(cells: JointCells, bounds: Float64Array, n: number): boolean {
  if (cells.size === 0) return true;
  const bound = bounds[n] as number;
  const v = cells.value;
  for (let c = 0; c < cells.size; c++) if ((v[c] as number) > bound) return false;
  return true;
}

/** bounds[n] = eps_b^(n−1) for n = 0 … 3 (+Infinity for every n when eps_b ≥ 1). */
export function backOffBounds(epsilon: number): Float64Array {
  const bounds = new Float64Array(4);
  for (let n = 0; n < 4; n++) bounds[n] = epsilon >= 1 ? Number.POSITIVE_INFINITY : epsilon ** Math.max(0, n - 1);
  return bounds;
}
