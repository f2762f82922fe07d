import { createRng, type ProcessorContext } from '@dynamojs/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { softmax, typicalP } from '../src/index.js';
import { expectDynamoError, keptSet, maxAbsDiff, randomLogits, refSoftmax } from './classicHelpers.js';

const ctx: ProcessorContext = { head: 0, history: new Int32Array(0) };

/**
 * Reference typical-p, transcribed from transformers' TypicalLogitsWarper (transformers.js v4 has
 * none): rank by |−log p − H|, keep through the first rank whose cumulative mass reaches `mass`
 * (ties kept), at least `minKeep`.
 */
function refTypical(logits: Float32Array, mass: number, minKeep = 1): Set<number> {
  const probs = refSoftmax(logits);
  const logp = probs.map((p) => Math.log(p));
  const h = -probs.reduce((s, p, i) => (p > 0 ? s + p * (logp[i] as number) : s), 0);
  const shifted = logp.map((l) => Math.abs(-l - h));
  const order = shifted.map((_, i) => i).sort((a, b) => (shifted[a] as number) - (shifted[b] as number) || a - b);
  let cum = 0;
  let lastInd = 0;
  for (const id of order) {
    cum += probs[id] as number;
    if (cum < mass) lastInd++;
  }
  lastInd = Math.min(lastInd, order.length - 1);
  const cut = shifted[order[lastInd] as number] as number;
  const kept = new Set<number>();
  order.forEach((id, j) => {
    if (!((shifted[id] as number) > cut) || j < minKeep) kept.add(id);
  });
  return kept;
}

describe('typicalP', () => {
  it('matches the reference: same kept set, probabilities within 1e-6', () => {
    const rng = createRng(8);
    for (const vocab of [6, 400, 50_257]) {
      for (const mass of [0.05, 0.2, 0.5, 0.9, 0.95]) {
        const logits = randomLogits(rng, vocab, 2);
        const ours = logits.slice();
        typicalP(mass).process(ours, ctx);
        const expected = refTypical(logits, mass);
        expect(keptSet(ours)).toEqual([...expected].sort((a, b) => a - b));
        const ref = refSoftmax(Array.from(logits, (l, i) => (expected.has(i) ? l : Number.NEGATIVE_INFINITY)));
        const got = softmax(ours);
        expect(maxAbsDiff(got, ref)).toBeLessThan(1e-6);
      }
    }
  });

  it('matches the reference with tied logits (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 300 }),
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        (values, mass) => {
          const logits = Float32Array.from(values);
          const ours = logits.slice();
          typicalP(mass).process(ours, ctx);
          expect(keptSet(ours)).toEqual([...refTypical(logits, mass)].sort((a, b) => a - b));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('respects minTokensToKeep, and mass = 1 is a no-op', () => {
    const rng = createRng(9);
    const logits = randomLogits(rng, 2000, 4);
    const ours = logits.slice();
    typicalP(0.01, { minTokensToKeep: 100 }).process(ours, ctx);
    const kept = keptSet(ours).length;
    expect(kept).toBeGreaterThanOrEqual(100);
    const same = logits.slice();
    typicalP(1).process(same, ctx);
    expect(same).toEqual(logits);
  });

  it('ignores masked tokens and rejects mass outside (0, 1]', () => {
    const l = new Float32Array([0, Number.NEGATIVE_INFINITY, 0.5, 1, Number.NEGATIVE_INFINITY]);
    typicalP(0.5).process(l, ctx);
    expect(keptSet(l).every((i) => i !== 1 && i !== 4)).toBe(true);
    expect(keptSet(l).length).toBeGreaterThan(0);
    for (const bad of [0, 1.2, Number.NaN]) {
      expect(expectDynamoError(() => typicalP(bad), 'DYNAMO_INVALID_OPTION').details.option).toBe('typicalP');
    }
  });
});
