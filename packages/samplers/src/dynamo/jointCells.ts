import type { HeadTopK } from './headTopK.js';

/**
 * The joint estimate J over the rank-sorted grid of n heads' top-k (k^n cells), kept sparse:
 * only cells that may be non-zero are listed. Every DynaMo stage reads and rewrites this one
 * structure in place, so a step allocates nothing once the buffers exist.
 *
 * - cell c has grid index `index[c] = r_0·k^(n-1) + … + r_(n-1)` (r_h: rank in head h's top-k,
 *   so neighbouring cells have neighbouring probabilities — the "image" the blur runs over);
 * - `value[c]`: its current value; stages zero cells and {@link compactCells} drops them;
 * - cells are listed in ascending order of their token ids (x_1, then x_2, then x_3): the draw
 *   walks them in that order, whichever way they were enumerated;
 * - `grid`: a dense k^n scratch, all zero between stages (the blur fills and clears it);
 * - `blurred`: per-cell scratch for the adaptive threshold.
 */
export class JointCells {
  /** Tokens per cell (the n of the n-gram). */
  n = 0;
  /** Grid side: the top-k size (the largest head count, k). */
  k = 0;
  size = 0;
  /** Probability mass of the listed cells under the independent joint (before weighting). */
  rawMass = 0;
  readonly capacity: number;
  readonly index: Int32Array;
  readonly value: Float64Array;
  readonly blurred: Float64Array;
  readonly grid: Float64Array;

  /** Room for `k^maxN` cells. */
  constructor(k: number, maxN: number) {
    const capacity = k ** Math.max(1, maxN);
    this.capacity = capacity;
    this.index = new Int32Array(capacity);
    this.value = new Float64Array(capacity);
    this.blurred = new Float64Array(capacity);
    this.grid = new Float64Array(capacity);
  }

  private grid2: Float64Array | undefined;

  /** A second dense k^n scratch (the separable blur), allocated on first use, all zero between stages. */
  secondGrid(): Float64Array {
    if (this.grid2 === undefined) this.grid2 = new Float64Array(this.capacity);
    return this.grid2;
  }

  reset(n: number, k: number): void {
    this.n = n;
    this.k = k;
    this.size = 0;
    this.rawMass = 0;
  }

  push(index: number, value: number): void {
    const s = this.size;
    this.index[s] = index;
    this.value[s] = value;
    this.size = s + 1;
  }

  /** Largest value (0 when empty). */
  max(): number {
    let m = 0;
    const v = this.value;
    for (let c = 0; c < this.size; c++) if ((v[c] as number) > m) m = v[c] as number;
    return m;
  }

  /** Sum of values. */
  sum(): number {
    let s = 0;
    const v = this.value;
    for (let c = 0; c < this.size; c++) s += v[c] as number;
    return s;
  }

  /** Rank of head h in cell c's grid index. */
  rankOf(c: number, h: number): number {
    const k = this.k;
    let idx = this.index[c] as number;
    for (let j = this.n - 1; j > h; j--) idx = Math.floor(idx / k);
    return idx % k;
  }
}

/** Drops zero cells, keeping order. */
export function compactCells(cells: JointCells): void {
  const v = cells.value;
  const ix = cells.index;
  let w = 0;
  for (let c = 0; c < cells.size; c++) {
    const x = v[c] as number;
    if (x > 0) {
      v[w] = x;
      ix[w] = ix[c] as number;
      w++;
    }
  }
  cells.size = w;
}

/** Writes the n tokens of cell c into `out[0..n)`. */
export function cellTokens(cells: JointCells, c: number, heads: readonly HeadTopK[], out: Int32Array): void {
  const k = cells.k;
  let idx = cells.index[c] as number;
  for (let h = cells.n - 1; h >= 0; h--) {
    const r = idx % k;
    idx = (idx - r) / k;
    out[h] = (heads[h] as HeadTopK).ids[r] as number;
  }
}
