import {
  createRng,
  DynamoError,
  DynamoErrorCode,
  type ForwardOptions,
  type ForwardResult,
  isDynamoError,
  type KVCache,
  type ModelMetadata,
  type MultiTokenModel,
  type StepView,
} from '@dynamojs/core';
import { describe, expect, it } from 'vitest';
import { AssistantDrafter, assistantDrafter } from '../src/index.js';

function hash(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p + 0x9e3779b9), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

class TinyCache implements KVCache {
  tokens: number[] = [];
  disposed = false;
  readonly trims: number[] = [];
  get length(): number {
    return this.tokens.length;
  }
  trim(length: number): void {
    if (this.disposed) throw new DynamoError(DynamoErrorCode.DISPOSED, 'cache disposed');
    if (!Number.isInteger(length) || length < 0 || length > this.tokens.length) {
      throw new DynamoError(DynamoErrorCode.CACHE_STATE, `bad trim ${length}`);
    }
    this.trims.push(length);
    this.tokens.length = length;
  }
  compact(keep: ArrayLike<number>): void {
    this.tokens = Array.from(keep, (k) => this.tokens[k] as number);
  }
  dispose(): void {
    this.disposed = true;
  }
}

interface TinyOptions {
  vocabSize?: number;
  seed?: number;
  scale?: number;
  device?: string;
  contextLength?: number;
}

/** A hash LM: the logits after a context depend on its last two tokens. Records every forward call. */
class TinyLM implements MultiTokenModel {
  readonly metadata: ModelMetadata;
  readonly calls: { tokens: number[]; before: number }[] = [];
  readonly caches: TinyCache[] = [];
  disposed = false;
  /** Called before each forward (after recording it): tests abort or fail here. */
  hook: ((call: number) => void) | undefined = undefined;
  constructor(readonly o: TinyOptions = {}) {
    this.metadata = {
      name: 'tiny-lm',
      heads: 1,
      vocabSize: o.vocabSize ?? 8,
      contextLength: o.contextLength ?? 512,
      specialTokens: {},
      device: o.device ?? 'cpu',
    };
  }
  logitsAfter(context: readonly number[]): Float32Array {
    const n = context.length;
    const a = context[n - 2] ?? -1;
    const b = context[n - 1] ?? -1;
    const out = new Float32Array(this.metadata.vocabSize);
    for (let v = 0; v < out.length; v++) out[v] = ((this.o.scale ?? 6) * hash(this.o.seed ?? 1, a, b, v)) / 2 ** 32;
    return out;
  }
  greedyAfter(context: readonly number[]): number {
    const l = this.logitsAfter(context);
    let best = 0;
    for (let v = 1; v < l.length; v++) if ((l[v] as number) > (l[best] as number)) best = v;
    return best;
  }
  createCache(): KVCache {
    if (this.disposed) throw new DynamoError(DynamoErrorCode.DISPOSED, 'model disposed');
    const c = new TinyCache();
    this.caches.push(c);
    return c;
  }
  async forward(newTokens: ArrayLike<number>, kv: KVCache, options: ForwardOptions = {}): Promise<ForwardResult> {
    const cache = kv as TinyCache;
    this.calls.push({ tokens: Array.from(newTokens), before: cache.length });
    this.hook?.(this.calls.length - 1);
    if (options.signal?.aborted) throw new DynamoError(DynamoErrorCode.ABORTED, 'aborted');
    if (cache.disposed) throw new DynamoError(DynamoErrorCode.DISPOSED, 'cache disposed');
    for (let i = 0; i < newTokens.length; i++) cache.tokens.push(newTokens[i] as number);
    const row = this.logitsAfter(cache.tokens);
    return {
      heads: 1,
      positionCount: 1,
      headPositionCount: 0,
      logits: () => row,
    };
  }
  async dispose(): Promise<void> {
    this.disposed = true;
  }
  /** Tokens fed by all forward calls. */
  get fed(): number {
    return this.calls.reduce((s, c) => s + c.tokens.length, 0);
  }
}

function view(
  history: readonly number[],
  o: { vocabSize?: number; maxTokens?: number; signal?: AbortSignal; seed?: number } = {},
): StepView {
  const h = Int32Array.from(history);
  return {
    vocabSize: o.vocabSize ?? 8,
    heads: 1,
    maxTokens: o.maxTokens ?? 17,
    logits: () => {
      throw new Error('an assistant drafter does not read the target logits');
    },
    history: h,
    promptLength: h.length,
    step: 0,
    rng: createRng(o.seed ?? 0),
    ...(o.signal && { signal: o.signal }),
  };
}

async function expectCode(p: Promise<unknown> | (() => unknown), code: string): Promise<DynamoError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (!isDynamoError(e)) throw e;
    expect(e.code).toBe(code);
    return e;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

const PROMPT = [1, 2, 3];

describe('assistantDrafter', () => {
  it('argmax drafts are the assistant greedy continuation; one prefill then one pass per token', async () => {
    const lm = new TinyLM();
    const d = assistantDrafter(lm, { draw: 'argmax', k: 4, minProbability: 0 });
    expect(d.heads).toBe(1);
    const next = 5;
    const draft = await d.draft(view([...PROMPT, next]), next);
    const ctx = [...PROMPT, next];
    const want: number[] = [];
    for (let i = 0; i < 4; i++) {
      const t = lm.greedyAfter(ctx);
      want.push(t);
      ctx.push(t);
    }
    expect(Array.from(draft.tokens)).toEqual(want);
    expect(draft.distribution).toBeUndefined();
    expect(lm.calls.map((c) => c.tokens.length)).toEqual([4, 1, 1, 1]);
    expect(d.cachedTokens).toBe(7); // prompt + next + 3 drafted (the last drafted token is not fed)
    expect(d.report()).toMatchObject({ drafts: 1, assistantPasses: 4, assistantTokens: 7 });
  });

  it('appends next when the history does not end with it', async () => {
    const lm = new TinyLM();
    const d = assistantDrafter(lm, { draw: 'argmax', k: 1 });
    const a = await d.draft(view(PROMPT), 6);
    expect(lm.calls[0]?.tokens).toEqual([...PROMPT, 6]);
    expect(Array.from(a.tokens)).toEqual([lm.greedyAfter([...PROMPT, 6])]);
  });

  it('rollback: after a rejection the cache is trimmed to the accepted prefix and only the rest is fed', async () => {
    const lm = new TinyLM();
    const d = assistantDrafter(lm, { draw: 'argmax', k: 4, minProbability: 0, schedule: 'constant' });
    const first = Array.from((await d.draft(view([...PROMPT, 5]), 5)).tokens);
    const cache = lm.caches[0] as TinyCache;
    // the target accepted d1, d2 and replaced d3 by another token
    const corrected = ((first[2] as number) + 1) % 8;
    const history = [...PROMPT, 5, first[0] as number, first[1] as number, corrected];
    lm.calls.length = 0;
    await d.draft(view(history), corrected);
    // the cache held prompt+5+d1+d2+d3: it keeps prompt+5+d1+d2 and feeds the correction
    expect(cache.trims.at(-1)).toBe(6);
    expect(lm.calls[0]).toEqual({ tokens: [corrected], before: 6 });
    expect(lm.caches).toHaveLength(1);
    expect(cache.tokens.slice(0, 7)).toEqual(history);
    // everything accepted, and the target's next token is the assistant's own 4th: the last token is re-fed
    const second = Array.from((await d.draft(view(history), corrected)).tokens);
    expect(second.length).toBe(4);
  });

  it('a sequence the cache holds entirely re-feeds its last token (the logits after it are needed)', async () => {
    const lm = new TinyLM();
    const d = assistantDrafter(lm, { draw: 'argmax', k: 3, minProbability: 0, schedule: 'constant' });
    const first = Array.from((await d.draft(view([...PROMPT, 5]), 5)).tokens);
    // the verifier kept d1 only (layout bound) and the target's token after it is d2
    const history = [...PROMPT, 5, first[0] as number, first[1] as number];
    lm.calls.length = 0;
    const again = Array.from((await d.draft(view(history), first[1] as number)).tokens);
    expect(lm.calls[0]).toEqual({ tokens: [first[1]], before: 5 });
    expect(again[0]).toBe(first[2]);
  });

  it('sampled drafts report q (the processed distribution) and the probability of each token', async () => {
    const lm = new TinyLM({ scale: 2 });
    const d = assistantDrafter(lm, { k: 3, temperature: 0.8, topK: 4, minProbability: 0, schedule: 'constant' });
    const history = [...PROMPT, 5];
    const draft = await d.draft(view(history, { seed: 3 }), 5);
    expect(draft.tokens.length).toBe(3);
    const ctx = [...history];
    for (let i = 0; i < 3; i++) {
      const q = draft.distribution?.(i) as Float32Array;
      expect(q).toHaveLength(8);
      const sum = q.reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(1, 5);
      expect(q.filter((x) => x > 0)).toHaveLength(4); // top-k 4
      const token = draft.tokens[i] as number;
      expect(draft.probability?.(i)).toBeCloseTo(q[token] as number, 7);
      // q is the tempered softmax of the assistant's logits over its top 4
      const l = lm.logitsAfter(ctx);
      const top = Array.from(l.keys())
        .sort((a, b) => (l[b] as number) - (l[a] as number))
        .slice(0, 4);
      const z = top.reduce((s, v) => s + Math.exp((l[v] as number) / 0.8), 0);
      for (const v of top) expect(q[v]).toBeCloseTo(Math.exp((l[v] as number) / 0.8) / z, 5);
      ctx.push(token);
    }
  });

  it('stops after a token drawn where the top probability is below minProbability', async () => {
    const flat = new TinyLM({ scale: 0.01 }); // near-uniform: top probability ≈ 1/8
    const d = assistantDrafter(flat, { draw: 'argmax', k: 6 });
    expect((await d.draft(view([...PROMPT, 5]), 5)).tokens.length).toBe(1);
    const never = assistantDrafter(flat, { draw: 'argmax', k: 6, minProbability: 0 });
    expect((await never.draft(view([...PROMPT, 5]), 5)).tokens.length).toBe(6);
    const peaked = new TinyLM({ scale: 60 });
    const sure = assistantDrafter(peaked, { draw: 'argmax', k: 6 });
    expect((await sure.draft(view([...PROMPT, 5]), 5)).tokens.length).toBe(6);
  });

  it('bounds the draft by view.maxTokens − 1 and the assistant context', async () => {
    const lm = new TinyLM({ contextLength: 8 });
    const d = assistantDrafter(lm, { draw: 'argmax', k: 6, minProbability: 0 });
    expect((await d.draft(view([...PROMPT, 5], { maxTokens: 3 }), 5)).tokens.length).toBe(2);
    expect((await d.draft(view([...PROMPT, 5], { maxTokens: 1 }), 5)).tokens.length).toBe(0);
    // 4 tokens + 5 drafted: the last drafted one needs no room
    expect((await d.draft(view([...PROMPT, 5]), 5)).tokens.length).toBe(5);
    expect((await d.draft(view([1, 2, 3, 4, 5, 6, 7, 0, 1]), 1)).tokens.length).toBe(0);
  });

  it('adaptive k: +2 on full acceptance, −1 otherwise, within [1, maxK]; constant schedule; reset', () => {
    const d = assistantDrafter(new TinyLM(), { k: 4, maxK: 7 });
    expect(d.k).toBe(4);
    d.accepted({ proposed: 4, accepted: 4, tree: false });
    expect(d.k).toBe(6);
    d.accepted({ proposed: 6, accepted: 6, tree: false });
    expect(d.k).toBe(7);
    d.accepted({ proposed: 7, accepted: 2, tree: false });
    expect(d.k).toBe(6);
    for (let i = 0; i < 10; i++) d.accepted({ proposed: 3, accepted: 0, tree: false });
    expect(d.k).toBe(1);
    expect(d.report()).toMatchObject({ proposed: 4 + 6 + 7 + 30, accepted: 4 + 6 + 2, k: 1 });
    d.reset();
    expect(d.k).toBe(4);
    const constant = assistantDrafter(new TinyLM(), { k: 3, schedule: 'constant' });
    constant.accepted({ proposed: 3, accepted: 3, tree: false });
    constant.accepted({ proposed: 3, accepted: 0, tree: false });
    expect(constant.k).toBe(3);
    expect(() => d.accepted({ proposed: Number.NaN, accepted: 1, tree: false })).not.toThrow();
  });

  it('abort mid-draft throws DYNAMO_ABORTED and leaves the drafter usable with identical drafts', async () => {
    const lm = new TinyLM();
    const d = assistantDrafter(lm, { draw: 'argmax', k: 4, minProbability: 0, schedule: 'constant' });
    const controller = new AbortController();
    lm.hook = (call) => {
      if (call === 2) controller.abort();
    };
    const history = [...PROMPT, 5];
    await expectCode(d.draft(view(history, { signal: controller.signal }), 5), 'DYNAMO_ABORTED');
    lm.hook = undefined;
    const cache = lm.caches[0] as TinyCache;
    expect(cache.length).toBe(d.cachedTokens);
    const after = Array.from((await d.draft(view(history), 5)).tokens);
    const fresh = Array.from(
      (await assistantDrafter(new TinyLM(), { draw: 'argmax', k: 4, minProbability: 0 }).draft(view(history), 5))
        .tokens,
    );
    expect(after).toEqual(fresh);
  });

  it('a forward that fails part-way leaves the cache at the last good prefix; the next draft re-syncs', async () => {
    const lm = new TinyLM();
    const d = assistantDrafter(lm, { draw: 'argmax', k: 3, minProbability: 0 });
    lm.hook = (call) => {
      if (call === 1) {
        // the runtime appended the token, then failed
        (lm.caches[0] as TinyCache).tokens.push(7);
        throw new DynamoError(DynamoErrorCode.RUNTIME, 'boom');
      }
    };
    const history = [...PROMPT, 5];
    await expectCode(d.draft(view(history), 5), 'DYNAMO_RUNTIME');
    lm.hook = undefined;
    expect((lm.caches[0] as TinyCache).tokens).toEqual(history);
    expect(d.cachedTokens).toBe(4);
    const again = Array.from((await d.draft(view(history), 5)).tokens);
    const fresh = Array.from(
      (await assistantDrafter(new TinyLM(), { draw: 'argmax', k: 3, minProbability: 0 }).draft(view(history), 5))
        .tokens,
    );
    expect(again).toEqual(fresh);
  });

  it('vocabularies: equal or larger (ids past the target masked), smaller is DYNAMO_VOCAB_MISMATCH', async () => {
    const big = new TinyLM({ vocabSize: 12, scale: 3 });
    const d = assistantDrafter(big, { target: new TinyLM({ vocabSize: 8 }), k: 8, minProbability: 0 });
    const draft = await d.draft(view([...PROMPT, 5], { vocabSize: 8 }), 5);
    for (let i = 0; i < draft.tokens.length; i++) {
      expect(draft.tokens[i]).toBeLessThan(8);
      expect(draft.distribution?.(i)).toHaveLength(8);
    }
    const small = new TinyLM({ vocabSize: 6 });
    const e = await expectCode(
      () => assistantDrafter(small, { target: new TinyLM({ vocabSize: 8 }) }),
      'DYNAMO_VOCAB_MISMATCH',
    );
    expect(e.message).toContain('6');
    expect(e.message).toContain('8');
    await expectCode(assistantDrafter(small).draft(view([...PROMPT, 5], { vocabSize: 8 }), 5), 'DYNAMO_VOCAB_MISMATCH');
  });

  it('bad input is typed: k range, options, device, disposed model, disposed drafter, next', async () => {
    const lm = new TinyLM();
    for (const k of [0, 17, 1.5, Number.NaN]) {
      await expectCode(() => assistantDrafter(lm, { k }), 'DYNAMO_INVALID_OPTION');
    }
    await expectCode(() => assistantDrafter(lm, { k: 5, maxK: 4 }), 'DYNAMO_INVALID_OPTION');
    await expectCode(() => assistantDrafter(lm, { minProbability: 2 }), 'DYNAMO_INVALID_OPTION');
    await expectCode(() => assistantDrafter(lm, { schedule: 'fast' as 'constant' }), 'DYNAMO_INVALID_OPTION');
    await expectCode(() => assistantDrafter(lm, { draw: 'best' as 'argmax' }), 'DYNAMO_INVALID_OPTION');
    await expectCode(() => assistantDrafter(lm, { temperature: 0 }), 'DYNAMO_INVALID_OPTION');
    await expectCode(() => assistantDrafter({} as MultiTokenModel), 'DYNAMO_INVALID_OPTION');
    expect(assistantDrafter(lm, { maxK: 2 }).k).toBe(2);
    const e = await expectCode(
      () => assistantDrafter(lm, { target: new TinyLM({ device: 'cuda' }) }),
      'DYNAMO_INVALID_OPTION',
    );
    expect(e.message).toContain('cuda');
    const gone = new TinyLM();
    await gone.dispose();
    await expectCode(() => assistantDrafter(gone), 'DYNAMO_DISPOSED');
    const later = new TinyLM();
    const d = new AssistantDrafter(later, { k: 2 });
    await d.draft(view([...PROMPT, 5]), 5);
    await later.dispose();
    await expectCode(d.draft(view([...PROMPT, 5]), 5), 'DYNAMO_DISPOSED');
    const own = assistantDrafter(lm, { k: 2 });
    await own.draft(view([...PROMPT, 5]), 5);
    own.dispose();
    expect(lm.caches.at(-1)?.disposed).toBe(true);
    await expectCode(own.draft(view([...PROMPT, 5]), 5), 'DYNAMO_DISPOSED');
    await expectCode(assistantDrafter(lm).draft(view(PROMPT), 9), 'DYNAMO_TOKEN_OUT_OF_RANGE');
  });

  it('reset keeps the cache: a new generation with the same prompt re-feeds only what differs', async () => {
    const lm = new TinyLM();
    const d = assistantDrafter(lm, { draw: 'argmax', k: 2, minProbability: 0 });
    await d.draft(view([...PROMPT, 5]), 5);
    d.reset();
    lm.calls.length = 0;
    await d.draft(view([...PROMPT, 6]), 6);
    expect(lm.calls[0]).toEqual({ tokens: [6], before: 3 });
    expect(lm.caches).toHaveLength(1);
  });
});
