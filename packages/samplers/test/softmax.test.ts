import { createRng } from '@dynamojs/core';
import { log_softmax as hfLogSoftmax, softmax as hfSoftmax } from '@huggingface/transformers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { entropy, logSoftmax, logSumExp, softmax } from '../src/index.js';
import { expectDynamoError, maxAbsDiff, randomLogits, refSoftmax } from './classicHelpers.js';

describe('softmax', () => {
  it('matches transformers.js softmax / log_softmax within 1e-6', () => {
    const rng = createRng(13);
    for (const n of [1, 2, 10, 50_257]) {
      const l = randomLogits(rng, n, 5);
      expect(maxAbsDiff(softmax(l), hfSoftmax(l) as Float32Array)).toBeLessThan(1e-6);
      expect(maxAbsDiff(logSoftmax(l), hfLogSoftmax(l) as Float32Array)).toBeLessThan(1e-5);
    }
  });

  it('gives masked tokens probability 0, works in place and sums to 1 (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.float({ min: -50, max: 50, noNaN: true }), fc.constant(Number.NEGATIVE_INFINITY)), {
          minLength: 1,
          maxLength: 64,
        }),
        (values) => {
          const row = Float32Array.from(values);
          if (row.every((v) => v === Number.NEGATIVE_INFINITY)) row[0] = 0;
          const copy = row.slice();
          const p = softmax(row, row);
          expect(p).toBe(row);
          let sum = 0;
          for (let i = 0; i < p.length; i++) {
            if (copy[i] === Number.NEGATIVE_INFINITY) expect(p[i]).toBe(0);
            expect(p[i]).toBeGreaterThanOrEqual(0);
            sum += p[i] as number;
          }
          expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
          expect(maxAbsDiff(p, refSoftmax(copy))).toBeLessThan(1e-6);
        },
      ),
    );
  });

  it('all masked → DYNAMO_SAMPLER (softmax, logSoftmax, entropy); logSumExp is -Infinity', () => {
    const row = new Float32Array([Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    expectDynamoError(() => softmax(row), 'DYNAMO_SAMPLER');
    expectDynamoError(() => logSoftmax(row), 'DYNAMO_SAMPLER');
    expectDynamoError(() => entropy(row), 'DYNAMO_SAMPLER');
    expect(logSumExp(row)).toBe(Number.NEGATIVE_INFINITY);
  });

  it('entropy: uniform over n is ln n; a point mass is 0', () => {
    expect(entropy(new Float32Array(8))).toBeCloseTo(Math.log(8), 6);
    expect(entropy(new Float32Array([0, Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY]))).toBe(0);
  });
});
