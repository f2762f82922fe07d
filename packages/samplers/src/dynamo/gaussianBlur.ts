import { checkInteger, checkNumber, DynamoError, DynamoErrorCode } from '@dynamojs/core';
import type { JointCells } from './jointCells.js';

/**
 * A normalised 1-D Gaussian kernel of odd `size`. Without `sigma`, the kernel OpenCV's
 * GaussianBlur uses (getGaussianKernel(size, 0)): the fixed binomial-like tables for sizes 1–7
 * ([1/4, 1/2, 1/4] for 3), else sigma = 0.3·((size − 1)/2 − 1) + 0.8.
 */
export function gaussianKernel(size: number, sigma?: number): Float64Array {
  checkInteger('blur', size, { min: 1 });
  if (size % 2 === 0) {
    throw new DynamoError(DynamoErrorCode.INVALID_OPTION, `Option "blur" must be an odd kernel size, got ${size}.`, {
      details: { option: 'blur', expected: 'an odd integer ≥ 1', actual: size },
    });
  }
  if (sigma === undefined) {
    const fixed: Record<number, number[]> = {
      1: [1],
      3: [0.25, 0.5, 0.25],
      5: [0.0625, 0.25, 0.375, 0.25, 0.0625],
      7: [0.03125, 0.109375, 0.21875, 0.28125, 0.21875, 0.109375, 0.03125],
    };
    const f = fixed[size];
    if (f) return Float64Array.from(f);
    sigma = 0.3 * ((size - 1) * 0.5 - 1) + 0.8;
  }
  checkNumber('blurSigma', sigma, { min: 0, minExclusive: true });
  const r = (size - 1) / 2;
  const k = new Float64Array(size);
  let sum = 0;
  for (let i = 0; i < size; i++) {
    const x = i - r;
    k[i] = Math.exp(-(x * x) / (2 * sigma * sigma));
    sum += k[i] as number;
  }
  for (let i = 0; i < size; i++) k[i] = (k[i] as number) / sum;
  return k;
}

/**
 * Gaussian blur of the joint over its rank-sorted k^n grid (separable kernel applied as its n-fold
 * outer product, zero padding outside the grid), evaluated only at the listed cells (elsewhere
 * the result is not needed: a zero cell stays zero). Writes `cells.blurred[c]`; uses and clears
 * `cells.grid`. Cost O(cells · size^n), no allocation.
 */
export function blurCells(cells: JointCells, kernel: Float64Array): void {
  const { grid, index, value, blurred } = cells;
  const size = cells.size;
  const k = cells.k;
  const n = cells.n;
  const R = (kernel.length - 1) >> 1;
  if (R === 0 || n === 0) {
    for (let c = 0; c < size; c++) blurred[c] = value[c] as number;
    return;
  }
  // A (nearly) dense grid — no masking, a low threshold — is cheaper to blur whole, one axis at a
  // time (n passes of `size` taps over k^n cells) than cell by cell (size^n taps per cell).
  const cellCost = size * kernel.length ** n;
  if (n >= 2 && cellCost > 2 * n * kernel.length * k ** n) {
    blurDense(cells, kernel);
    return;
  }
  for (let c = 0; c < size; c++) grid[index[c] as number] = value[c] as number;
  const kk = k * k;
  for (let c = 0; c < size; c++) {
    const idx = index[c] as number;
    let acc = 0;
    if (n === 1) {
      for (let d = -R; d <= R; d++) {
        const r = idx + d;
        if (r >= 0 && r < k) acc += (kernel[d + R] as number) * (grid[r] as number);
      }
    } else if (n === 2) {
      const r0 = Math.floor(idx / k);
      const r1 = idx - r0 * k;
      for (let d0 = -R; d0 <= R; d0++) {
        const a = r0 + d0;
        if (a < 0 || a >= k) continue;
        const w0 = kernel[d0 + R] as number;
        for (let d1 = -R; d1 <= R; d1++) {
          const b = r1 + d1;
          if (b < 0 || b >= k) continue;
          acc += w0 * (kernel[d1 + R] as number) * (grid[a * k + b] as number);
        }
      }
    } else {
      const r0 = Math.floor(idx / kk);
      const rest = idx - r0 * kk;
      const r1 = Math.floor(rest / k);
      const r2 = rest - r1 * k;
      if (R === 1 && r0 >= 1 && r1 >= 1 && r2 >= 1 && r0 < k - 1 && r1 < k - 1 && r2 < k - 1) {
        // Interior cell, kernel of 3 (the default): the 27 taps unrolled.
        const a = kernel[0] as number;
        const b = kernel[1] as number;
        const c2 = kernel[2] as number;
        let plane = 0;
        for (let d0 = -1; d0 <= 1; d0++) {
          const p = idx + d0 * kk;
          const lm = a * (grid[p - k - 1] as number) + b * (grid[p - k] as number) + c2 * (grid[p - k + 1] as number);
          const l0 = a * (grid[p - 1] as number) + b * (grid[p] as number) + c2 * (grid[p + 1] as number);
          const lp = a * (grid[p + k - 1] as number) + b * (grid[p + k] as number) + c2 * (grid[p + k + 1] as number);
          plane = a * lm + b * l0 + c2 * lp;
          acc += (d0 === -1 ? a : d0 === 0 ? b : c2) * plane;
        }
      } else if (r0 >= R && r1 >= R && r2 >= R && r0 < k - R && r1 < k - R && r2 < k - R) {
        // Interior cell: no bounds checks.
        for (let d0 = -R; d0 <= R; d0++) {
          const w0 = kernel[d0 + R] as number;
          for (let d1 = -R; d1 <= R; d1++) {
            const w01 = w0 * (kernel[d1 + R] as number);
            const row = idx + d0 * kk + d1 * k;
            let line = 0;
            for (let d2 = -R; d2 <= R; d2++) line += (kernel[d2 + R] as number) * (grid[row + d2] as number);
            acc += w01 * line;
          }
        }
      } else {
        for (let d0 = -R; d0 <= R; d0++) {
          const a = r0 + d0;
          if (a < 0 || a >= k) continue;
          const w0 = kernel[d0 + R] as number;
          for (let d1 = -R; d1 <= R; d1++) {
            const b = r1 + d1;
            if (b < 0 || b >= k) continue;
            const w01 = w0 * (kernel[d1 + R] as number);
            const row = (a * k + b) * k;
            for (let d2 = -R; d2 <= R; d2++) {
              const cc = r2 + d2;
              if (cc < 0 || cc >= k) continue;
              acc += w01 * (kernel[d2 + R] as number) * (grid[row + cc] as number);
            }
          }
        }
      }
    }
    blurred[c] = acc;
  }
  for (let c = 0; c < size; c++) grid[index[c] as number] = 0;
}

/**
 * {@link blurCells} over the whole k^n grid, separably: the n-fold outer product of a 1-D kernel
 * applied as n 1-D passes (zero padding), so identical to the per-cell sum up to rounding.
 * Uses `cells.grid` and `cells.grid2`, and leaves both zero.
 */
function blurDense(cells: JointCells, kernel: Float64Array): void {
  const { index, value, blurred } = cells;
  const size = cells.size;
  const k = cells.k;
  const n = cells.n;
  const total = k ** n;
  const R = (kernel.length - 1) >> 1;
  let src = cells.grid;
  let dst = cells.secondGrid();
  for (let c = 0; c < size; c++) src[index[c] as number] = value[c] as number;
  // pass along axis a (stride s = k^(n-1-a)): blocks of k·s cells, each a k × s matrix whose
  // columns are the lines to convolve; no division in the loop
  const w0 = kernel[R - 1] as number;
  const w1 = kernel[R] as number;
  const w2 = kernel[R + 1] as number;
  for (let a = n - 1; a >= 0; a--) {
    const s = k ** (n - 1 - a);
    const block = k * s;
    for (let base = 0; base < total; base += block) {
      for (let r = 0; r < k; r++) {
        const row = base + r * s;
        if (R === 1) {
          // the default kernel of 3, unrolled
          const lo = r > 0;
          const hi = r < k - 1;
          for (let j = 0; j < s; j++) {
            const i = row + j;
            let acc = w1 * (src[i] as number);
            if (lo) acc += w0 * (src[i - s] as number);
            if (hi) acc += w2 * (src[i + s] as number);
            dst[i] = acc;
          }
        } else {
          const dLo = Math.max(-R, -r);
          const dHi = Math.min(R, k - 1 - r);
          for (let j = 0; j < s; j++) {
            const i = row + j;
            let acc = 0;
            for (let d = dLo; d <= dHi; d++) acc += (kernel[d + R] as number) * (src[i + d * s] as number);
            dst[i] = acc;
          }
        }
      }
    }
    const t = src;
    src = dst;
    dst = t;
  }
  for (let c = 0; c < size; c++) blurred[c] = src[index[c] as number] as number;
  cells.grid.fill(0, 0, total);
  cells.secondGrid().fill(0, 0, total);
}
