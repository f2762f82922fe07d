import { createRng, type ProcessorContext } from '@dynamojs/core';
import { TemperatureLogitsWarper, Tensor } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { softmax, temperature } from '../src/index.js';
import { expectDynamoError, randomLogits } from './classicHelpers.js';

const ctx: ProcessorContext = { head: 0, history: new Int32Array(0) };

describe('temperature', () => {
  it('matches transformers.js TemperatureLogitsWarper (same logits, same probabilities)', () => {
    const rng = createRng(1);
    for (const t of [0.1, 0.5, 0.7, 1, 1.3, 2.5]) {
      for (let trial = 0; trial < 5; trial++) {
        const logits = randomLogits(rng, 1000);
        const theirs = new Tensor('float32', logits.slice(), [1, logits.length]);
        new TemperatureLogitsWarper(t)([[0n]], theirs);
        const ours = logits.slice();
        temperature(t).process(ours, ctx);
        expect(ours).toEqual(theirs.data);
        const p = softmax(ours);
        const q = softmax(theirs.data as Float32Array);
        for (let i = 0; i < p.length; i++) expect(Math.abs((p[i] as number) - (q[i] as number))).toBeLessThan(1e-6);
      }
    }
  });

  it('keeps masked entries masked', () => {
    const l = new Float32Array([1, Number.NEGATIVE_INFINITY, 3]);
    temperature(0.5).process(l, ctx);
    expect(Array.from(l)).toEqual([2, Number.NEGATIVE_INFINITY, 6]);
  });

  it('rejects temperature ≤ 0 or non-finite with DYNAMO_INVALID_OPTION', () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '1' as unknown as number]) {
      const e = expectDynamoError(() => temperature(bad), 'DYNAMO_INVALID_OPTION');
      expect(e.details.option).toBe('temperature');
    }
  });
});
