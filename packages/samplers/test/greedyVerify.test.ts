import { createRng, type ForwardResult } from '@dynamojs/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { greedy, greedyVerify, type VerifyResult } from '../src/index.js';
import { expectDynamoError, makeView, toyModel } from './classicHelpers.js';

/** A ForwardResult over the chunk rows model(prefix + chunk[0..i]) for i = 0..chunk.length − 1. */
function forwardAll(model: (p: ArrayLike<number>) => Float32Array, prefix: number[], chunk: number[]): ForwardResult {
  const rows = chunk.map((_, i) => model([...prefix, ...chunk.slice(0, i + 1)]));
  return {
    heads: 1,
    positionCount: rows.length,
    headPositionCount: 0,
    logits: (head, index = rows.length - 1) => {
      const r = rows[index];
      if (head !== 0 || r === undefined) throw new RangeError(`no row ${head}/${index}`);
      return r;
    },
  };
}

/** Autoregressive reference: `count` tokens of greedy decoding with the given sampler. */
function autoregressive(model: (p: ArrayLike<number>) => Float32Array, prompt: number[], count: number, penalty = 1) {
  const s = greedy({ repetitionPenalty: penalty });
  const seq = [...prompt];
  while (seq.length < prompt.length + count) seq.push(s.sample(makeView([model(seq)], { history: seq }))[0] as number);
  return seq.slice(prompt.length);
}

/**
 * Verified decoding with noisy drafts: each step drafts m tokens that are the true greedy tokens
 * with probability `quality`, else random, feeds [last, drafts…], verifies, emits accepted + next.
 */
function verified(
  model: (p: ArrayLike<number>) => Float32Array,
  prompt: number[],
  count: number,
  m: number,
  quality: number,
  seed: number,
  penalty = 1,
) {
  const rng = createRng(seed);
  const vocab = model([]).length;
  const base = greedy({ repetitionPenalty: penalty });
  const truth = autoregressive(model, prompt, count + m + 1, penalty);
  const seq = [...prompt];
  let passes = 0;
  // first token: one plain greedy step
  seq.push(base.sample(makeView([model(seq)], { history: seq }))[0] as number);
  while (seq.length < prompt.length + count) {
    const done = seq.length - prompt.length;
    const drafts = Array.from({ length: m }, (_, j) =>
      rng.next() < quality ? (truth[done + j] as number) : Math.floor(rng.next() * vocab),
    );
    const last = seq[seq.length - 1] as number;
    const result = forwardAll(model, seq.slice(0, -1), [last, ...drafts]);
    const r = greedyVerify(drafts, result, { processors: base.processors, history: Int32Array.from(seq) });
    expect(r.accepted).toBeGreaterThanOrEqual(0);
    expect(r.accepted).toBeLessThanOrEqual(m);
    seq.push(...drafts.slice(0, r.accepted), r.next);
    passes++;
  }
  return { tokens: seq.slice(prompt.length, prompt.length + count), passes };
}

describe('greedyVerify', () => {
  it('accepts matching drafts, replaces the first mismatch, and gives a bonus when all match', () => {
    const rows = [
      new Float32Array([0, 5, 1]), // base says 1
      new Float32Array([7, 0, 1]), // base says 0
      new Float32Array([0, 1, 9]), // base says 2 (bonus)
    ];
    const fn = (i: number) => rows[i] as Float32Array;
    expect(greedyVerify([1, 0], fn)).toEqual({ accepted: 2, next: 2 });
    expect(greedyVerify([1, 2], fn)).toEqual({ accepted: 1, next: 0 });
    expect(greedyVerify([2, 0], fn)).toEqual({ accepted: 0, next: 1 });
    expect(greedyVerify([], fn)).toEqual({ accepted: 0, next: 1 });
  });

  it('reads rows from a ForwardResult with an offset, and rows past the mismatch are not needed', () => {
    const rows = [new Float32Array([9, 0]), new Float32Array([0, 9]), new Float32Array([9, 0])];
    const fr: ForwardResult = {
      heads: 1,
      positionCount: 3,
      headPositionCount: 0,
      logits: (_h, i = 2) => rows[i] as Float32Array,
    };
    expect(greedyVerify([1], fr, { offset: 1 })).toEqual({ accepted: 1, next: 0 });
    const short: ForwardResult = {
      ...fr,
      logits: (_h, i = 0) => (i === 0 ? (rows[0] as Float32Array) : undefined) as never,
    };
    expect(greedyVerify([1, 1], short)).toEqual({ accepted: 0, next: 0 });
    expectDynamoError(() => greedyVerify([0], short), 'DYNAMO_INVALID_LOGITS');
  });

  it('writes into a reused result object (no allocation per call)', () => {
    const row = new Float32Array([0, 1]);
    const out: VerifyResult = { accepted: -1, next: -1 };
    expect(greedyVerify([1], () => row, {}, out)).toBe(out);
  });

  it('is lossless: verified decoding emits exactly the autoregressive greedy tokens (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 40 }),
        fc.integer(),
        fc.integer({ min: 0, max: 4 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.constantFrom(1, 1.3),
        (vocab, seed, m, quality, penalty) => {
          const model = toyModel(vocab, seed);
          const prompt = [seed & 1, vocab - 1];
          const count = 30;
          const { tokens, passes } = verified(model, prompt, count, m, quality, seed, penalty);
          expect(tokens).toEqual(autoregressive(model, prompt, count, penalty));
          if (quality === 1 && m > 0) expect(passes).toBeLessThanOrEqual(Math.ceil((count - 1) / (m + 1)));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('perfect drafts emit m + 1 tokens per pass', () => {
    const model = toyModel(50, 7);
    const { tokens, passes } = verified(model, [1, 2, 3], 41, 3, 1, 7);
    expect(tokens).toEqual(autoregressive(model, [1, 2, 3], 41));
    expect(passes).toBe(10);
  });

  it('typed errors: NaN rows (naming the position), out-of-vocabulary drafts, all-masked rows', () => {
    const nan = new Float32Array([0, Number.NaN]);
    const e = expectDynamoError(
      () => greedyVerify([0], (i) => (i === 0 ? new Float32Array(2) : nan)),
      'DYNAMO_INVALID_LOGITS',
    );
    expect(e.details).toMatchObject({ head: 0, position: 1, index: 1 });
    expectDynamoError(() => greedyVerify([5], () => new Float32Array(2)), 'DYNAMO_SAMPLER');
    expectDynamoError(() => greedyVerify([0.5], () => new Float32Array(2)), 'DYNAMO_SAMPLER');
    const masked = new Float32Array([Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    expectDynamoError(() => greedyVerify([0], () => masked), 'DYNAMO_SAMPLER');
  });
});
