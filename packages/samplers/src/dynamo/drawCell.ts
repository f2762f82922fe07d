import type { JointCells } from './jointCells.js';

/**
 * Draws one cell with probability proportional to its value from one uniform `u` ∈ [0, 1): the
 * inverse CDF over the cells in listing order (ascending token ids). Zero cells are never drawn,
 * even under round-off. Returns the cell's position, or -1 when no cell has positive value.
 */
export function drawCell(cells: JointCells, u: number): number {
  const v = cells.value;
  let total = 0;
  for (let c = 0; c < cells.size; c++) total += v[c] as number;
  if (!(total > 0) || !Number.isFinite(total)) return -1;
  let x = u * total;
  let last = -1;
  for (let c = 0; c < cells.size; c++) {
    const w = v[c] as number;
    if (w > 0) {
      x -= w;
      last = c;
      if (x < 0) return c;
    }
  }
  return last;
}

/** The cell with the largest value (first on ties), or -1 when empty. */
export function argmaxCell(cells: JointCells): number {
  let best = -1;
  let bestValue = 0;
  const v = cells.value;
  for (let c = 0; c < cells.size; c++) {
    if ((v[c] as number) > bestValue) {
      bestValue = v[c] as number;
      best = c;
    }
  }
  return best;
}
