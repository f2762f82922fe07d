import { createRng } from '@dynamojs/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { argmax, greedy, repetitionPenalty } from '../src/index.js';
import { expectDynamoError, makeView, randomLogits } from './classicHelpers.js';

describe('greedy()', () => {
  it('emits one token: the argmax of head 0 (ties → lowest id), ignoring other heads', () => {
    const s = greedy();
    expect(s.heads).toBe(1);
    const view = makeView([new Float32Array([1, 5, 5, 2]), new Float32Array([9, 0, 0, 0])]);
    expect(Array.from(s.sample(view))).toEqual([1]);
  });

  it('applies penalties before the argmax', () => {
    const s = greedy({ repetitionPenalty: 3 });
    const view = makeView([new Float32Array([1, 2.5, 2])], { history: [1] });
    expect(Array.from(s.sample(view))).toEqual([2]);
    const t = greedy({ noRepeatNgramSize: 1 });
    expect(Array.from(t.sample(makeView([new Float32Array([1, 2.5, 2])], { history: [1, 2] })))).toEqual([0]);
    const u = greedy({ processors: [repetitionPenalty(100)] });
    expect(Array.from(u.sample(makeView([new Float32Array([1, 2.5, 2])], { history: [1] })))).toEqual([2]);
  });

  it('equals argmax of the raw logits on random rows (property)', () => {
    const s = greedy();
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer(), (vocab, seed) => {
        const logits = randomLogits(createRng(seed), vocab);
        const t = s.sample(makeView([logits]))[0] as number;
        expect(t).toBe(argmax(logits));
        expect(t >= 0 && t < vocab).toBe(true);
      }),
    );
  });

  it('NaN/Inf logits → DYNAMO_INVALID_LOGITS; everything masked by no-repeat-ngram → DYNAMO_SAMPLER', () => {
    const bad = new Float32Array([0, Number.NaN]);
    expectDynamoError(() => greedy().sample(makeView([bad])), 'DYNAMO_INVALID_LOGITS');
    const s = greedy({ noRepeatNgramSize: 1 });
    expectDynamoError(() => s.sample(makeView([new Float32Array(2)], { history: [0, 1] })), 'DYNAMO_SAMPLER');
    expectDynamoError(() => greedy({ repetitionPenalty: -1 }), 'DYNAMO_INVALID_OPTION');
  });
});
