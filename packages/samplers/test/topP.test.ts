import { createRng, type ProcessorContext } from '@dynamojs/core';
import { Tensor, TopPLogitsWarper } from '@huggingface/transformers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { softmax, topP } from '../src/index.js';
import { expectDynamoError, keptSet, maxAbsDiff, randomLogits, refOrder, refSoftmax } from './classicHelpers.js';

const ctx: ProcessorContext = { head: 0, history: new Int32Array(0) };

/**
 * Reference nucleus filter, written the way transformers (Python) defines it: sort ascending,
 * cumulative softmax, drop tokens whose cumulative mass is ≤ 1 − p, keep at least `minKeep`.
 * transformers.js v4.3.1 declares TopPLogitsWarper but gives it no _call (checked below).
 */
function refTopP(logits: Float32Array, p: number, minKeep = 1): Set<number> {
  const probs = refSoftmax(logits);
  const ascending = refOrder(probs).reverse();
  const kept = new Set<number>();
  let cum = 0;
  ascending.forEach((id, j) => {
    cum += probs[id] as number;
    const inLastMinKeep = j >= ascending.length - minKeep;
    if (!(cum <= 1 - p) || inLastMinKeep) kept.add(id);
  });
  return kept;
}

describe('topP', () => {
  it('transformers.js v4 TopPLogitsWarper is declared but not implemented (why we test against a reference)', () => {
    const t = new Tensor('float32', new Float32Array([1, 2, 3]), [1, 3]);
    expect(() => new TopPLogitsWarper(0.9)([[0n]], t)).toThrow(/_call/);
  });

  it('matches the reference nucleus filter: same kept set, probabilities within 1e-6', () => {
    const rng = createRng(4);
    for (const vocab of [8, 300, 50_257]) {
      for (const p of [0.05, 0.3, 0.5, 0.9, 0.95, 0.999]) {
        for (const scale of [0.5, 3, 8]) {
          const logits = randomLogits(rng, vocab, scale);
          const ours = logits.slice();
          topP(p).process(ours, ctx);
          const expected = refTopP(logits, p);
          expect(keptSet(ours)).toEqual([...expected].sort((a, b) => a - b));
          // Renormalised probabilities over the kept set.
          const ref = refSoftmax(Array.from(logits, (l, i) => (expected.has(i) ? l : Number.NEGATIVE_INFINITY)));
          const got = softmax(ours);
          expect(maxAbsDiff(got, ref)).toBeLessThan(1e-6);
        }
      }
    }
  });

  it('matches the reference with ties, masked tokens and minTokensToKeep (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: -6, max: 6 }), fc.constant(Number.NEGATIVE_INFINITY)), {
          minLength: 1,
          maxLength: 400,
        }),
        fc.double({ min: 0.001, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 50 }),
        (values, p, minKeep) => {
          const logits = Float32Array.from(values);
          if (keptSet(logits).length === 0) return;
          const ours = logits.slice();
          topP(p, { minTokensToKeep: minKeep }).process(ours, ctx);
          const masked = new Set(Array.from(logits.keys()).filter((i) => logits[i] === Number.NEGATIVE_INFINITY));
          const expected = [...refTopP(logits, p, minKeep)].filter((i) => !masked.has(i)).sort((a, b) => a - b);
          expect(keptSet(ours)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps the token that crosses p and respects minTokensToKeep', () => {
    // probabilities 0.5, 0.3, 0.2 (logits = log p)
    const base = new Float32Array([Math.log(0.5), Math.log(0.3), Math.log(0.2)]);
    const a = base.slice();
    topP(0.6).process(a, ctx);
    expect(keptSet(a)).toEqual([0, 1]);
    const b = base.slice();
    topP(0.4).process(b, ctx);
    expect(keptSet(b)).toEqual([0]);
    const c = base.slice();
    topP(0.1, { minTokensToKeep: 2 }).process(c, ctx);
    expect(keptSet(c)).toEqual([0, 1]);
    const rng = createRng(5);
    const big = randomLogits(rng, 5000, 10);
    const d = big.slice();
    topP(0.01, { minTokensToKeep: 300 }).process(d, ctx);
    expect(keptSet(d)).toEqual(
      refOrder(big)
        .slice(0, 300)
        .sort((x, y) => x - y),
    );
  });

  it('p = 1 is a no-op; masked tokens stay masked', () => {
    const l = new Float32Array([1, Number.NEGATIVE_INFINITY, 2]);
    topP(1).process(l, ctx);
    expect(keptSet(l)).toEqual([0, 2]);
    topP(0.99).process(l, ctx);
    expect(keptSet(l)).toEqual([0, 2]);
  });

  it('rejects p outside (0, 1] with DYNAMO_INVALID_OPTION', () => {
    for (const bad of [0, -0.1, 1.01, Number.NaN]) {
      expect(expectDynamoError(() => topP(bad), 'DYNAMO_INVALID_OPTION').details.option).toBe('topP');
    }
    expectDynamoError(() => topP(0.5, { minTokensToKeep: 0 }), 'DYNAMO_INVALID_OPTION');
  });
});
