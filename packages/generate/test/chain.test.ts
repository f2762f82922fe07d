import {
  type DraftHead,
  type DraftHeadStep,
  DynamoError,
  DynamoErrorCode,
  type ForwardOptions,
  type ForwardResult,
  isDynamoError,
  type KVCache,
  type MultiTokenModel,
} from '@dynamojs/core';
import { draftHeadDrafter, dynamoChain, greedy, sampling } from '@dynamojs/samplers';
import { describe, expect, it } from 'vitest';
import { generate } from '../src/index.js';
import { expectCode, FakeModel, sequenceChiSquare } from './fakes.js';

const PROMPT = [1, 2, 3];

/**
 * A draft head for FakeModel, whose base logits depend on the last two tokens: the "hidden state"
 * is those two tokens, so a step knows the context's tail exactly. `noise` > 0 perturbs its logits
 * (an imperfect head); 0 gives the base model's own next-token logits (a perfect head).
 */
class FakeDraftHead implements DraftHead {
  readonly hiddenSize = 2;
  readonly vocabSize: number;
  steps = 0;
  disposed = false;
  private readonly next = new Float32Array(2);
  constructor(
    private readonly model: FakeModel,
    private readonly noise = 0,
    private readonly failAt = -1,
  ) {
    this.vocabSize = model.metadata.vocabSize;
  }
  async step(hidden: Float32Array, token: number, signal?: AbortSignal): Promise<DraftHeadStep> {
    if (signal?.aborted) throw new DynamoError(DynamoErrorCode.ABORTED, 'aborted');
    if (this.steps++ === this.failAt) throw new DynamoError(DynamoErrorCode.RUNTIME, 'draft head failed');
    const prev = hidden[1] as number;
    const logits = this.model.baseLogits(prev < 0 ? [token] : [prev, token]);
    for (let v = 0; v < logits.length; v++) logits[v] = (logits[v] as number) + this.noise * Math.sin(7 * v + token);
    this.next[0] = prev;
    this.next[1] = token;
    return { logits, hidden: this.next };
  }
  async dispose(): Promise<void> {
    this.disposed = true;
  }
}

/** FakeModel + hidden states (the last two tokens up to each returned row) + a draft head. */
class ChainModel implements MultiTokenModel {
  readonly metadata;
  readonly draftHead: FakeDraftHead | undefined;
  readonly calls: { tokens: number[]; headPositions: unknown }[] = [];
  constructor(
    readonly inner: FakeModel,
    head: FakeDraftHead | undefined,
    hidden = true,
  ) {
    this.metadata = { ...inner.metadata, heads: 1, ...(hidden && { hiddenSize: 2 }) };
    this.draftHead = head;
  }
  createCache(): KVCache {
    return this.inner.createCache();
  }
  async forward(tokens: ArrayLike<number>, cache: KVCache, options: ForwardOptions = {}): Promise<ForwardResult> {
    this.calls.push({ tokens: Array.from(tokens), headPositions: options.headPositions });
    const r = await this.inner.forward(tokens, cache, { ...options, headPositions: 'none' });
    const context = (cache as unknown as { tokens: number[] }).tokens.slice();
    const count = r.positionCount;
    return {
      heads: 1,
      positionCount: count,
      headPositionCount: 0,
      logits: (head, index) => r.logits(head, index),
      ...(this.metadata.hiddenSize !== undefined && {
        hidden: (index = count - 1) => {
          const end = context.length - (count - 1 - index);
          return Float32Array.of(context[end - 2] ?? -1, context[end - 1] ?? -1);
        },
      }),
    };
  }
  async dispose(): Promise<void> {}
}

function chainModel(opts: { seed?: number; vocabSize?: number; noise?: number; scale?: number } = {}) {
  const inner = new FakeModel({
    heads: 1,
    seed: opts.seed ?? 3,
    vocabSize: opts.vocabSize ?? 16,
    scale: opts.scale ?? 4,
  });
  return new ChainModel(inner, new FakeDraftHead(inner, opts.noise ?? 0));
}

describe('dynamo mode with a draft head (chain sampler)', () => {
  it("defaults to 'dynamo', runs the base only and feeds each emitted chain as the next chunk", async () => {
    const model = chainModel();
    const r = await generate({
      model,
      inputIds: PROMPT,
      maxNewTokens: 40,
      sampler: dynamoChain({ minDraftProbability: 0 }),
      seed: 1,
    });
    expect(r.stats.mode).toBe('dynamo');
    expect(r.tokens).toHaveLength(40);
    // every chain is as long as allowed (probability threshold 0), except where maxNewTokens cuts it
    expect(r.steps.slice(1, -1).every((n) => n === 4)).toBe(true);
    expect(r.stats.tokensPerPass).toBeGreaterThan(3);
    expect(model.calls.every((c) => c.headPositions === 'none')).toBe(true);
    // the chunks after the prompt are exactly the emitted tokens, in order
    expect(model.calls.slice(1).flatMap((c) => c.tokens)).toEqual(
      r.tokens.slice(0, model.calls.slice(1).flatMap((c) => c.tokens).length),
    );
    // one draft-head step per drafted token (threshold 0: none is refused)
    expect(r.stats.draftHead?.steps).toBe(r.tokens.length - r.steps.length);
  });

  it('chainLength 1 is ar: the same tokens for the same seed, and no draft-head step', async () => {
    for (const seed of [1, 2, 3]) {
      const model = chainModel({ seed: 10 + seed, scale: 2 });
      const ar = await generate({
        model,
        inputIds: PROMPT,
        maxNewTokens: 30,
        sampler: sampling({ temperature: 0.8 }),
        seed,
        mode: 'ar',
      });
      const chain = await generate({
        model,
        inputIds: PROMPT,
        maxNewTokens: 30,
        sampler: dynamoChain({ temperature: 0.8, chainLength: 1 }),
        seed,
      });
      expect(chain.tokens).toEqual(ar.tokens);
      expect(chain.stats.draftHead).toBeUndefined();
    }
  });

  it('a head that is never confident enough backs off every time: identical to ar', async () => {
    const model = chainModel({ noise: 3, scale: 1 });
    const ar = await generate({ model, inputIds: PROMPT, maxNewTokens: 30, sampler: sampling(), seed: 4, mode: 'ar' });
    const chain = await generate({
      model,
      inputIds: PROMPT,
      maxNewTokens: 30,
      sampler: dynamoChain({ minDraftProbability: 0.99 }),
      seed: 4,
    });
    expect(chain.tokens).toEqual(ar.tokens);
    expect(chain.stats.tokensPerPass).toBeLessThanOrEqual(1 + 1e-9);
    expect(chain.stats.draftHead?.steps).toBeGreaterThan(0);
    // a threshold of 1 never drafts: ar's tokens without running the draft head at all
    const never = await generate({
      model,
      inputIds: PROMPT,
      maxNewTokens: 30,
      sampler: dynamoChain({ minDraftProbability: 1 }),
      seed: 4,
    });
    expect(never.tokens).toEqual(ar.tokens);
    expect(never.stats.draftHead).toBeUndefined();
  });

  it('with a perfect draft head the sequences are distributed exactly as ar (chi-square)', async () => {
    const V = 4;
    const inner = new FakeModel({ heads: 1, vocabSize: V, seed: 5, scale: 1.5 });
    const model = new ChainModel(inner, new FakeDraftHead(inner));
    const prompt = [1];
    const runs = 3000;
    const counts = new Float64Array(V ** 3);
    let passes = 0;
    for (let i = 0; i < runs; i++) {
      const r = await generate({
        model,
        inputIds: prompt,
        maxNewTokens: 3,
        sampler: dynamoChain({ minDraftProbability: 0, chainLength: 3 }),
        seed: 1000 + i,
      });
      passes += r.stats.forwardPasses;
      const [a, b, c] = r.tokens as [number, number, number];
      counts[a * V * V + b * V + c]!++;
    }
    expect(passes).toBe(runs); // the prefill pass emits all three tokens
    const chi2 = sequenceChiSquare(inner, prompt, counts, runs);
    // df = 63; the 0.999 quantile of chi-square(63) is about 103.4.
    expect(chi2).toBeLessThan(103.4);
  });

  it('never overshoots maxNewTokens and stops at eos inside a chain', async () => {
    const model = chainModel();
    for (const n of [1, 2, 5, 7]) {
      const r = await generate({
        model,
        inputIds: PROMPT,
        maxNewTokens: n,
        sampler: dynamoChain({ minDraftProbability: 0 }),
        seed: 2,
      });
      expect(r.tokens).toHaveLength(n);
    }
    const inner = new FakeModel({ heads: 1, seed: 3, eos: 5, avoidEos: false, scale: 1 });
    const withEos = new ChainModel(inner, new FakeDraftHead(inner));
    for (let seed = 0; seed < 20; seed++) {
      const r = await generate({
        model: withEos,
        inputIds: PROMPT,
        maxNewTokens: 60,
        sampler: dynamoChain({ minDraftProbability: 0 }),
        seed,
      });
      expect(r.tokens.includes(5)).toBe(false);
      if (r.finishReason === 'eos') expect(r.tokens.length).toBeLessThan(60);
    }
  });

  it('a model without a draft head, or without hidden states: DYNAMO_UNSUPPORTED naming the sampler', async () => {
    const inner = new FakeModel({ heads: 1 });
    await expectCode(
      generate({ model: new ChainModel(inner, undefined), inputIds: PROMPT, sampler: dynamoChain() }),
      'DYNAMO_UNSUPPORTED',
      'sampler',
    );
    await expectCode(
      generate({
        model: new ChainModel(inner, new FakeDraftHead(inner), false),
        inputIds: PROMPT,
        sampler: dynamoChain(),
      }),
      'DYNAMO_UNSUPPORTED',
      'sampler',
    );
    // a head for another vocabulary
    const other = new FakeModel({ heads: 1, vocabSize: 32 });
    await expectCode(
      generate({ model: new ChainModel(inner, new FakeDraftHead(other)), inputIds: PROMPT, sampler: dynamoChain() }),
      'DYNAMO_MODEL_FORMAT',
    );
    // mode 'ar' ignores the chain: one token per pass
    const ar = await generate({
      model: new ChainModel(inner, undefined),
      inputIds: PROMPT,
      maxNewTokens: 5,
      sampler: dynamoChain(),
      mode: 'ar',
    });
    expect(ar.stats.tokensPerPass).toBe(1);
  });

  it('bad options are typed errors naming the option', () => {
    for (const [option, value] of [
      ['chainLength', 0],
      ['chainLength', 17],
      ['chainLength', 2.5],
      ['minDraftProbability', -0.1],
      ['minDraftProbability', 1.5],
      ['minDraftProbability', Number.NaN],
    ] as const) {
      try {
        dynamoChain({ [option]: value });
        throw new Error(`accepted ${option} = ${value}`);
      } catch (error) {
        expect(isDynamoError(error, DynamoErrorCode.INVALID_OPTION), String(error)).toBe(true);
        expect((error as DynamoError).details?.option).toBe(option);
      }
    }
  });

  it('a sampler extending with a token outside the vocabulary: DYNAMO_SAMPLER, cache freed', async () => {
    const model = chainModel();
    const bad = Object.assign(dynamoChain({ minDraftProbability: 0 }), { extend: () => 999 });
    await expectCode(generate({ model, inputIds: PROMPT, sampler: bad }), 'DYNAMO_SAMPLER');
    const caches = (model.inner as unknown as { caches: { disposed: boolean }[] }).caches;
    expect(caches.every((c) => c.disposed)).toBe(true);
  });

  it('a failing draft head surfaces its error; an abort mid-chain ends the generation as aborted', async () => {
    const inner = new FakeModel({ heads: 1, seed: 3 });
    const failing = new ChainModel(inner, new FakeDraftHead(inner, 0, 5));
    await expectCode(
      generate({ model: failing, inputIds: PROMPT, sampler: dynamoChain({ minDraftProbability: 0 }) }),
      'DYNAMO_RUNTIME',
    );
    const controller = new AbortController();
    const head = new FakeDraftHead(inner);
    const step = head.step.bind(head);
    head.step = async (h, t, s) => {
      if (head.steps === 6) controller.abort();
      return step(h, t, s);
    };
    const r = await generate({
      model: new ChainModel(inner, head),
      inputIds: PROMPT,
      maxNewTokens: 50,
      sampler: dynamoChain({ minDraftProbability: 0 }),
      signal: controller.signal,
    });
    expect(r.finishReason).toBe('aborted');
    expect(r.tokens.length).toBeLessThan(50);
  });
});

describe('verified mode with a draft-head drafter (lossless)', () => {
  it("greedy: ar's tokens, several per pass with a good head", async () => {
    const model = chainModel({ seed: 9 });
    const ar = await generate({ model, inputIds: PROMPT, maxNewTokens: 40, sampler: greedy(), mode: 'ar' });
    const v = await generate({
      model,
      inputIds: PROMPT,
      maxNewTokens: 40,
      sampler: greedy(),
      mode: 'verified',
      drafter: draftHeadDrafter({ head: model.draftHead as FakeDraftHead, draw: 'argmax' }),
    });
    expect(v.tokens).toEqual(ar.tokens);
    expect(v.stats.tokensPerPass).toBeGreaterThan(2.5); // a perfect head: every draft accepted
  });

  it('sampling with speculative verification: exactly ar’s distribution (chi-square), imperfect head', async () => {
    const V = 4;
    const inner = new FakeModel({ heads: 1, vocabSize: V, seed: 5, scale: 1.5 });
    const model = new ChainModel(inner, new FakeDraftHead(inner, 0.8));
    const prompt = [1];
    const runs = 3000;
    const counts = new Float64Array(V ** 3);
    let passes = 0;
    for (let i = 0; i < runs; i++) {
      const r = await generate({
        model,
        inputIds: prompt,
        maxNewTokens: 3,
        mode: 'verified',
        verification: 'speculative',
        sampler: sampling(),
        drafter: draftHeadDrafter({ head: model.draftHead as FakeDraftHead, depth: 2 }),
        seed: 7000 + i,
      });
      passes += r.stats.forwardPasses;
      const [a, b, c] = r.tokens as [number, number, number];
      counts[a * V * V + b * V + c]!++;
    }
    expect(passes / runs).toBeLessThan(2.5); // drafts were accepted (3 tokens take 3 passes without)
    const chi2 = sequenceChiSquare(inner, prompt, counts, runs);
    // df = 63; the 0.999 quantile of chi-square(63) is about 103.4.
    expect(chi2).toBeLessThan(103.4);
  });

  it('a model without hidden states: DYNAMO_UNSUPPORTED; bad options: DYNAMO_INVALID_OPTION', async () => {
    const inner = new FakeModel({ heads: 1 });
    const head = new FakeDraftHead(inner);
    await expectCode(
      generate({
        model: new ChainModel(inner, head, false),
        inputIds: PROMPT,
        sampler: greedy(),
        mode: 'verified',
        drafter: draftHeadDrafter({ head }),
      }),
      'DYNAMO_UNSUPPORTED',
    );
    expect(() => draftHeadDrafter({ head, depth: 0 })).toThrow(
      expect.objectContaining({ code: 'DYNAMO_INVALID_OPTION' }),
    );
    expect(() => draftHeadDrafter({ head: undefined as unknown as FakeDraftHead })).toThrow(
      expect.objectContaining({ code: 'DYNAMO_INVALID_OPTION' }),
    );
  });
});
