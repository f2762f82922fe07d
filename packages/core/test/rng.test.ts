import { createRng, isDynamoError } from '@dynamojs/core';
import { describe, expect, it } from 'vitest';

describe('createRng', () => {
  it('is reproducible for a seed and differs across seeds', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const xs = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 20 }, () => c.next())).not.toEqual(xs);
  });

  it('draws uniformly in [0, 1)', () => {
    const rng = createRng(7);
    const bins = new Array(10).fill(0);
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const x = rng.next();
      expect(x >= 0 && x < 1).toBe(true);
      bins[Math.floor(x * 10)]++;
    }
    // chi-square with 9 degrees of freedom; 27.88 is the 0.999 quantile
    const chi = bins.reduce((s, o) => s + (o - n / 10) ** 2 / (n / 10), 0);
    expect(chi).toBeLessThan(27.88);
  });

  it('clones continue from the same state', () => {
    const a = createRng(1);
    a.next();
    const b = a.clone();
    expect(b.next()).toBe(a.next());
  });

  it('rejects a non-finite seed with a typed error', () => {
    try {
      createRng(Number.NaN);
      expect.unreachable();
    } catch (e) {
      expect(isDynamoError(e, 'DYNAMO_INVALID_OPTION')).toBe(true);
    }
  });
});
