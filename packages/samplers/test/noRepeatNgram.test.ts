import { createRng } from '@dynamojs/core';
import { NoRepeatNGramLogitsProcessor, Tensor } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { noRepeatNgram } from '../src/index.js';
import { expectDynamoError, keptSet, randomLogits } from './classicHelpers.js';

describe('noRepeatNgram', () => {
  it('matches transformers.js NoRepeatNGramLogitsProcessor (same masked set)', () => {
    const rng = createRng(11);
    for (const vocab of [3, 6, 50]) {
      for (const n of [1, 2, 3, 4]) {
        for (let trial = 0; trial < 30; trial++) {
          const logits = randomLogits(rng, vocab);
          const len = Math.floor(rng.next() * 40);
          const history = Int32Array.from({ length: len }, () => Math.floor(rng.next() * vocab));
          const theirs = new Tensor('float32', logits.slice(), [1, vocab]);
          new NoRepeatNGramLogitsProcessor(n)([Array.from(history, BigInt)], theirs);
          const ours = logits.slice();
          noRepeatNgram(n).process(ours, { head: 0, history });
          expect(ours).toEqual(theirs.data);
        }
      }
    }
  });

  it('treats pending tokens as the continuation of the history', () => {
    // history 1 2 3 1, pending 2: the last bigram prefix is (2); "2 3" occurred → 3 banned (n = 2).
    const l = new Float32Array(5);
    noRepeatNgram(2).process(l, { head: 2, history: Int32Array.from([1, 2, 3, 1]), pending: [2] });
    expect(keptSet(l)).toEqual([0, 1, 2, 4]);
    // n = 3 with prefix (1, 2) spanning history and pending: "1 2 3" occurred → 3 banned.
    const m = new Float32Array(5);
    noRepeatNgram(3).process(m, { head: 1, history: Int32Array.from([1, 2, 3, 0, 1]), pending: [2] });
    expect(keptSet(m)).toEqual([0, 1, 2, 4]);
  });

  it('masks nothing before n − 1 tokens exist; rejects size < 1', () => {
    const l = new Float32Array(4);
    noRepeatNgram(3).process(l, { head: 0, history: Int32Array.from([1]) });
    expect(keptSet(l)).toEqual([0, 1, 2, 3]);
    for (const bad of [0, -1, 2.5]) {
      expect(expectDynamoError(() => noRepeatNgram(bad), 'DYNAMO_INVALID_OPTION').details.option).toBe(
        'noRepeatNgramSize',
      );
    }
  });
});
