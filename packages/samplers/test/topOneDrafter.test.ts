import { createRng, type LogitsProcessor, type SyncDrafter } from '@dynamojs/core';
import { describe, expect, it } from 'vitest';
import { argmax, noRepeatNgram, perHead, repetitionPenalty, topOneDrafter } from '../src/index.js';
import { expectDynamoError, makeView, randomLogits } from './classicHelpers.js';

describe('topOneDrafter', () => {
  it('drafts the argmax of heads 1..n−1 after `next`, deterministically (no q)', () => {
    const rng = createRng(40);
    const rows = [0, 1, 2, 3].map(() => randomLogits(rng, 100));
    const d: SyncDrafter = topOneDrafter();
    expect(d.name).toBe('top-one');
    const draft = d.draft(makeView(rows), 7);
    expect(Array.from(draft.tokens)).toEqual([1, 2, 3].map((h) => argmax(rows[h] as Float32Array)));
    expect(draft.probability).toBeUndefined();
    expect(draft.distribution).toBeUndefined();
  });

  it('drafts nothing for a single-head model and respects maxDraft', () => {
    expect(topOneDrafter().draft(makeView([new Float32Array(4)]), 0).tokens.length).toBe(0);
    const rows = [0, 1, 2].map(() => new Float32Array([0, 1]));
    expect(Array.from(topOneDrafter({ maxDraft: 1 }).draft(makeView(rows), 0).tokens)).toEqual([1]);
    expect(topOneDrafter().draft(makeView(rows, { maxTokens: 2 }), 0).tokens.length).toBe(1);
    expect(topOneDrafter().draft(makeView(rows, { maxTokens: 1 }), 0).tokens.length).toBe(0);
    expectDynamoError(() => topOneDrafter({ maxDraft: -1 }), 'DYNAMO_INVALID_OPTION');
  });

  it('runs processors per head with pending = [next, earlier drafts]', () => {
    const seen: { head: number; pending: number[]; history: number[] }[] = [];
    const spy: LogitsProcessor = {
      name: 'spy',
      process: (_l, c) =>
        void seen.push({ head: c.head, pending: Array.from(c.pending ?? []), history: Array.from(c.history) }),
    };
    const rows = [new Float32Array([0, 0, 9]), new Float32Array([5, 0, 1]), new Float32Array([5, 6, 0])];
    // head 1 would pick 0, but no-repeat-1 bans history [0] and pending [1] → 2.
    // head 2: history [0] and pending [1, 2] ban every token → the draft ends after head 1.
    const both: LogitsProcessor = {
      name: 'both',
      process: (l, c) => {
        spy.process(l, c);
        noRepeatNgram(1).process(l, c);
      },
    };
    const d = topOneDrafter({ processors: perHead([null, both]) });
    const draft = d.draft(makeView(rows, { history: [0] }), 1);
    expect(Array.from(draft.tokens)).toEqual([2]);
    expect(seen).toEqual([
      { head: 1, pending: [1], history: [0] },
      { head: 2, pending: [1, 2], history: [0] },
    ]);
    // repetition penalty on the extra heads: head 1 [0.5, 0, 1] → 2; head 2 [0.5, 0.6, 0] → 1
    const e = topOneDrafter({ processors: perHead([null, repetitionPenalty(10)]) });
    expect(Array.from(e.draft(makeView(rows, { history: [0] }), 1).tokens)).toEqual([2, 1]);
  });

  it('reuses its buffers, and rejects NaN head logits naming the head', () => {
    const rows = [0, 1, 2].map(() => new Float32Array([0, 1, 2]));
    const d = topOneDrafter();
    const a = d.draft(makeView(rows), 0);
    const b = d.draft(makeView(rows), 0);
    expect(b).toBe(a);
    expect(b.tokens).toBe(a.tokens);
    const bad = [new Float32Array(3), new Float32Array(3), new Float32Array([0, Number.NaN, 0])];
    const e = expectDynamoError(() => d.draft(makeView(bad), 0), 'DYNAMO_INVALID_LOGITS');
    expect(e.details).toMatchObject({ head: 2, index: 1 });
  });
});
