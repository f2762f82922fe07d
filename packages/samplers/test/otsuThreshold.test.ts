import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { otsuThreshold } from '../src/index.js';

/** Exact Otsu over all split points of the sorted values (reference, no histogram). */
function bestSplitVariance(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  let best = 0;
  for (let i = 1; i < s.length; i++) {
    const lo = s.slice(0, i);
    const hi = s.slice(i);
    const m0 = lo.reduce((a, b) => a + b, 0) / lo.length;
    const m1 = hi.reduce((a, b) => a + b, 0) / hi.length;
    best = Math.max(best, lo.length * hi.length * (m0 - m1) ** 2);
  }
  return best;
}

describe('otsuThreshold', () => {
  it('separates two clusters', () => {
    const values = [0.01, 0.02, 0.015, 0.03, 0.5, 0.55, 0.6];
    const t = otsuThreshold(values);
    expect(t).toBeGreaterThan(0.03);
    expect(t).toBeLessThanOrEqual(0.5);
  });

  it('nothing to split: -Infinity (keep everything)', () => {
    expect(otsuThreshold([])).toBe(Number.NEGATIVE_INFINITY);
    expect(otsuThreshold([0.3])).toBe(Number.NEGATIVE_INFINITY);
    expect(otsuThreshold([0.2, 0.2, 0.2])).toBe(Number.NEGATIVE_INFINITY);
  });

  it('the max always passes, the min never (two or more distinct values), near the exact optimum', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 2, maxLength: 60 }), (values) => {
        const t = otsuThreshold(values);
        const max = Math.max(...values);
        const min = Math.min(...values);
        if (max === min) {
          expect(t).toBe(Number.NEGATIVE_INFINITY);
          return;
        }
        expect(max).toBeGreaterThanOrEqual(t);
        expect(min).toBeLessThan(t);
        // the histogram split's between-class variance is close to the exact best one
        const lo = values.filter((v) => v < t);
        const hi = values.filter((v) => v >= t);
        const m0 = lo.reduce((a, b) => a + b, 0) / lo.length;
        const m1 = hi.reduce((a, b) => a + b, 0) / hi.length;
        const got = lo.length * hi.length * (m0 - m1) ** 2;
        const best = bestSplitVariance(values);
        expect(got).toBeGreaterThanOrEqual(best * 0.9 - 1e-12);
      }),
      { numRuns: 300 },
    );
  });

  it('uses the count and scratch arguments without allocating a result', () => {
    const values = new Float64Array([0.9, 0.1, 0.8, 0.05, 123]);
    const hist = new Float64Array(256);
    const t = otsuThreshold(values, 4, 256, hist);
    expect(t).toBeGreaterThan(0.1);
    expect(t).toBeLessThanOrEqual(0.8);
  });
});
