import { createRng } from '@dynamojs/core';
import { RepetitionPenaltyLogitsProcessor, Tensor } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { repetitionPenalty, softmax } from '../src/index.js';
import { expectDynamoError, maxAbsDiff, randomLogits } from './classicHelpers.js';

function randomHistory(rng: { next(): number }, length: number, vocab: number): Int32Array {
  return Int32Array.from({ length }, () => Math.floor(rng.next() * vocab));
}

describe('repetitionPenalty', () => {
  it('matches transformers.js RepetitionPenaltyLogitsProcessor exactly (logits and probabilities)', () => {
    const rng = createRng(10);
    for (const vocab of [7, 1000, 50_257]) {
      for (const penalty of [0.5, 1, 1.1, 1.3, 2]) {
        const logits = randomLogits(rng, vocab);
        const history = randomHistory(rng, 1 + Math.floor(rng.next() * 300), vocab);
        const theirs = new Tensor('float32', logits.slice(), [1, vocab]);
        new RepetitionPenaltyLogitsProcessor(penalty)([Array.from(history, BigInt)], theirs);
        const ours = logits.slice();
        repetitionPenalty(penalty).process(ours, { head: 0, history });
        expect(ours).toEqual(theirs.data);
        expect(maxAbsDiff(softmax(ours), softmax(theirs.data as Float32Array))).toBeLessThan(1e-6);
      }
    }
  });

  it('applies once per distinct token across history and pending, and is reusable across steps', () => {
    const p = repetitionPenalty(2);
    const l = new Float32Array([4, -4, 4, 4]);
    p.process(l, { head: 1, history: Int32Array.from([0, 0, 1]), pending: [0, 2] });
    expect(Array.from(l)).toEqual([2, -8, 2, 4]);
    const m = new Float32Array([4, -4, 4, 4]);
    p.process(m, { head: 0, history: Int32Array.from([3]) });
    expect(Array.from(m)).toEqual([4, -4, 4, 2]);
  });

  it('rejects penalty ≤ 0 and out-of-vocabulary history with typed errors', () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(expectDynamoError(() => repetitionPenalty(bad), 'DYNAMO_INVALID_OPTION').details.option).toBe(
        'repetitionPenalty',
      );
    }
    expectDynamoError(
      () => repetitionPenalty(1.2).process(new Float32Array(3), { head: 0, history: Int32Array.from([5]) }),
      'DYNAMO_TOKEN_OUT_OF_RANGE',
    );
  });
});
