import { createRng } from '@dynamojs/core';
import { describe, expect, it } from 'vitest';
import { multinomial, multinomialFromLogits } from '../src/index.js';
import { CHI2_999, chiSquare, expectDynamoError } from './classicHelpers.js';

describe('multinomial', () => {
  it('draws in proportion to the weights (chi-square, seeded)', () => {
    const weights = [0.1, 0, 0.35, 0.05, 0.3, 0.2];
    const rng = createRng(14);
    const n = 200_000;
    const counts = new Array(weights.length).fill(0);
    for (let i = 0; i < n; i++) counts[multinomial(weights, rng)]++;
    const { chi, df } = chiSquare(counts, weights, n);
    expect(df).toBe(4);
    expect(chi).toBeLessThan(CHI2_999[4] as number);
  });

  it('accepts unnormalised weights and never returns a zero-weight index, even when rng.next() is ~1', () => {
    const almostOne = { next: () => 1 - 2 ** -53 };
    expect(multinomial([0, 2, 0, 3, 0, 0], almostOne)).toBe(3);
    expect(multinomial([0, 2, 0, 3, 0, 0], { next: () => 0 })).toBe(1);
    // a total that overstates the sum (round-off) still lands on a positive weight
    expect(multinomial([0.2, 0.3, 0], almostOne, 1)).toBe(1);
  });

  it('rejects all-zero, negative or NaN weights with DYNAMO_SAMPLER', () => {
    const rng = createRng(1);
    expectDynamoError(() => multinomial([0, 0], rng), 'DYNAMO_SAMPLER');
    expectDynamoError(() => multinomial([], rng), 'DYNAMO_SAMPLER');
    expectDynamoError(() => multinomial([0.5, -0.1], rng), 'DYNAMO_SAMPLER');
    expectDynamoError(() => multinomial([0.5, Number.NaN], rng), 'DYNAMO_SAMPLER');
  });

  it('multinomialFromLogits samples softmax(logits); masked tokens never drawn; reproducible per seed', () => {
    const logits = new Float32Array([Math.log(0.2), Number.NEGATIVE_INFINITY, Math.log(0.5), Math.log(0.3)]);
    const scratch = new Float32Array(4);
    const a = createRng(99);
    const b = createRng(99);
    const counts = new Array<number>(4).fill(0);
    const n = 100_000;
    let mismatches = 0;
    for (let i = 0; i < n; i++) {
      const t = multinomialFromLogits(logits, a, scratch);
      if (multinomialFromLogits(logits, b, scratch) !== t) mismatches++;
      counts[t] = (counts[t] as number) + 1;
    }
    expect(mismatches).toBe(0);
    expect(counts[1]).toBe(0);
    expect(chiSquare(counts, [0.2, 0, 0.5, 0.3], n).chi).toBeLessThan(CHI2_999[2] as number);
  });
});
