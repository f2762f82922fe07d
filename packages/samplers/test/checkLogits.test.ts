import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkLogits } from '../src/index.js';
import { expectDynamoError } from './classicHelpers.js';

describe('checkLogits', () => {
  it('accepts finite values and -Infinity (masking)', () => {
    expect(() => checkLogits(new Float32Array([0, -1e30, 1e30, Number.NEGATIVE_INFINITY]), 0, 4)).not.toThrow();
    expect(() => checkLogits(new Float32Array(0))).not.toThrow();
  });

  it('rejects NaN and +Infinity with DYNAMO_INVALID_LOGITS naming the head and index', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const row = new Float32Array([0, 1, 2, 3]);
      row[2] = bad;
      const e = expectDynamoError(() => checkLogits(row, 3), 'DYNAMO_INVALID_LOGITS');
      expect(e.details).toMatchObject({ head: 3, index: 2 });
      expect(e.message).toContain('head 3');
      expect(e.message).toContain('index 2');
    }
  });

  it('rejects a row of the wrong length and names the position when given', () => {
    const e = expectDynamoError(() => checkLogits(new Float32Array(3), 1, 4, 7), 'DYNAMO_INVALID_LOGITS');
    expect(e.details).toMatchObject({ head: 1, position: 7, expected: 4, actual: 3 });
    expect(e.message).toContain('position 7');
  });

  it('finds the first bad entry anywhere in a random row (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 100 }),
        fc.nat(),
        fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY),
        (values, pos, bad) => {
          const row = Float32Array.from(values);
          const at = pos % row.length;
          row[at] = bad;
          const e = expectDynamoError(() => checkLogits(row, 0), 'DYNAMO_INVALID_LOGITS');
          expect(e.details.index).toBe(at);
        },
      ),
    );
  });
});
