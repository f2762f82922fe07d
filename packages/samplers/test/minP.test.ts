import { createRng, type ProcessorContext } from '@dynamojs/core';
import { describe, expect, it } from 'vitest';
import { minP, softmax } from '../src/index.js';
import { expectDynamoError, keptSet, maxAbsDiff, randomLogits, refOrder, refSoftmax } from './classicHelpers.js';

const ctx: ProcessorContext = { head: 0, history: new Int32Array(0) };

/** Reference min-p (transformers' MinPLogitsWarper; transformers.js v4 has none). */
function refMinP(logits: Float32Array, minP: number, minKeep = 1): Set<number> {
  const probs = refSoftmax(logits);
  const top = Math.max(...probs);
  const kept = new Set<number>();
  probs.forEach((p, i) => {
    if (!(p < minP * top)) kept.add(i);
  });
  for (const id of refOrder(probs).slice(0, minKeep)) kept.add(id);
  return kept;
}

describe('minP', () => {
  it('matches the reference: same kept set, probabilities within 1e-6', () => {
    const rng = createRng(6);
    for (const vocab of [5, 500, 50_257]) {
      for (const m of [0.001, 0.05, 0.1, 0.5, 0.9, 1]) {
        const logits = randomLogits(rng, vocab, 2);
        const ours = logits.slice();
        minP(m).process(ours, ctx);
        const expected = refMinP(logits, m);
        expect(keptSet(ours)).toEqual([...expected].sort((a, b) => a - b));
        const ref = refSoftmax(Array.from(logits, (l, i) => (expected.has(i) ? l : Number.NEGATIVE_INFINITY)));
        const got = softmax(ours);
        expect(maxAbsDiff(got, ref)).toBeLessThan(1e-6);
      }
    }
  });

  it('minTokensToKeep keeps the best tokens when min-p would keep fewer', () => {
    const rng = createRng(7);
    const logits = randomLogits(rng, 1000, 10);
    const ours = logits.slice();
    minP(1, { minTokensToKeep: 5 }).process(ours, ctx);
    expect(keptSet(ours)).toEqual(
      refOrder(logits)
        .slice(0, 5)
        .sort((a, b) => a - b),
    );
  });

  it('0 is a no-op; options outside [0, 1] are rejected', () => {
    const l = new Float32Array([1, 2, 3]);
    minP(0).process(l, ctx);
    expect(Array.from(l)).toEqual([1, 2, 3]);
    for (const bad of [-0.1, 1.5, Number.NaN]) {
      expect(expectDynamoError(() => minP(bad), 'DYNAMO_INVALID_OPTION').details.option).toBe('minP');
    }
  });
});
