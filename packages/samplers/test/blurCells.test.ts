import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adaptiveThreshold, blurCells, gaussianKernel, JointCells } from '../src/index.js';

function denseBlur(grid: Float64Array, k: number, n: number, kernel: Float64Array): Float64Array {
  const out = new Float64Array(grid.length);
  const R = (kernel.length - 1) / 2;
  for (let idx = 0; idx < grid.length; idx++) {
    const r: number[] = [];
    let x = idx;
    for (let h = 0; h < n; h++) {
      r.unshift(x % k);
      x = Math.floor(x / k);
    }
    let acc = 0;
    const visit = (h: number, offset: number, w: number): void => {
      if (h === n) {
        acc += w * (grid[offset] as number);
        return;
      }
      for (let d = -R; d <= R; d++) {
        const rr = (r[h] as number) + d;
        if (rr < 0 || rr >= k) continue;
        visit(h + 1, offset * k + rr, w * (kernel[d + R] as number));
      }
    };
    visit(0, 0, 1);
    out[idx] = acc;
  }
  return out;
}

describe('Gaussian blur over the rank-sorted grid', () => {
  it('kernels: OpenCV tables for small sizes, normalised otherwise, typed error for even sizes', () => {
    expect(Array.from(gaussianKernel(3))).toEqual([0.25, 0.5, 0.25]);
    expect(Array.from(gaussianKernel(1))).toEqual([1]);
    const k9 = gaussianKernel(9);
    expect(k9.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(k9[4]).toBeGreaterThan(k9[3] as number);
    expect(() => gaussianKernel(4)).toThrow(/odd/);
    expect(gaussianKernel(3, 1)[1]).toBeCloseTo(1 / (1 + 2 * Math.exp(-0.5)), 12);
  });

  it('equals a dense zero-padded convolution at the listed cells (n = 1, 2, 3)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom(3, 5),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 216 }),
        (n, k, size, raw) => {
          const total = k ** n;
          const grid = new Float64Array(total);
          const cells = new JointCells(k, n);
          cells.reset(n, k);
          for (let i = 0; i < total; i++) {
            const v = raw[i % raw.length] as number;
            if (i % 3 !== 1 && v > 0) {
              grid[i] = v;
              cells.push(i, v);
            }
          }
          const kernel = gaussianKernel(size);
          blurCells(cells, kernel);
          const ref = denseBlur(grid, k, n, kernel);
          for (let c = 0; c < cells.size; c++) {
            expect(cells.blurred[c]).toBeCloseTo(ref[cells.index[c] as number] as number, 12);
          }
          // the dense scratch is left all zero
          expect(cells.grid.every((x) => x === 0)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a dense grid (no mask, k = 50, T3) takes the separable path and equals the per-cell sum', () => {
    const k = 50;
    const n = 3;
    const total = k ** n;
    const cells = new JointCells(k, n);
    cells.reset(n, k);
    const grid = new Float64Array(total);
    // an outer product with a few cells zeroed: dense, but not exactly separable
    for (let i = 0; i < total; i++) {
      const r0 = Math.floor(i / (k * k));
      const r1 = Math.floor(i / k) % k;
      const r2 = i % k;
      const v = i % 97 === 0 ? 0 : 1 / ((r0 + 1) * (r1 + 2) * (r2 + 3));
      grid[i] = v;
      if (v > 0) cells.push(i, v);
    }
    for (const size of [3, 5]) {
      const kernel = gaussianKernel(size);
      blurCells(cells, kernel);
      const ref = denseBlur(grid, k, n, kernel);
      let worst = 0;
      for (let c = 0; c < cells.size; c++) {
        const want = ref[cells.index[c] as number] as number;
        worst = Math.max(worst, Math.abs((cells.blurred[c] as number) - want) / want);
      }
      expect(worst).toBeLessThan(1e-12);
      expect(cells.grid.every((x) => x === 0)).toBe(true);
      expect(cells.secondGrid().every((x) => x === 0)).toBe(true);
    }
  });

  it('adaptive threshold: isolated small cells go, the peak stays; sampleBlurred swaps in blurred values', () => {
    const k = 5;
    const make = (): JointCells => {
      const cells = new JointCells(k, 2);
      cells.reset(2, k);
      cells.push(0, 0.5); // (0,0) peak
      cells.push(1, 0.3); // (0,1) neighbour
      cells.push(5, 0.15); // (1,0) neighbour
      cells.push(24, 0.05); // (4,4) isolated
      return cells;
    };
    const cells = make();
    adaptiveThreshold(cells, { kernel: gaussianKernel(3) });
    const kept = Array.from(cells.index.subarray(0, cells.size));
    expect(kept).toContain(0);
    expect(kept).not.toContain(24);
    expect(cells.value[0]).toBe(0.5);
    const blurred = make();
    adaptiveThreshold(blurred, { kernel: gaussianKernel(3), sampleBlurred: true });
    expect(blurred.value[0]).toBeCloseTo(0.5 * 0.25 + 0.3 * 0.125 + 0.15 * 0.125, 12);
    // without blur: plain Otsu on the values
    const plain = make();
    adaptiveThreshold(plain, {});
    expect(Array.from(plain.index.subarray(0, plain.size))).toContain(0);
    expect(plain.size).toBeLessThan(4);
  });
});
