import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { argmax } from '../src/index.js';
import { expectDynamoError } from './classicHelpers.js';

describe('argmax', () => {
  it('returns the first index of the maximum (ties → lowest id)', () => {
    expect(argmax([1, 3, 3, 2])).toBe(1);
    expect(argmax(new Float32Array([Number.NEGATIVE_INFINITY, -5, Number.NEGATIVE_INFINITY]))).toBe(1);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 50 }), (values) => {
        const i = argmax(values);
        expect(values[i]).toBe(Math.max(...values));
        expect(values.indexOf(Math.max(...values))).toBe(i);
      }),
    );
  });

  it('never picks NaN, and an all-masked or empty row is DYNAMO_SAMPLER, not token 0', () => {
    expect(argmax([Number.NaN, 1, Number.NaN])).toBe(1);
    expectDynamoError(
      () => argmax(new Float32Array([Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY])),
      'DYNAMO_SAMPLER',
    );
    expectDynamoError(() => argmax([]), 'DYNAMO_SAMPLER');
  });
});
