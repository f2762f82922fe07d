import { type Drafter, DynamoErrorCode, type LogitsProcessor, type Sampler } from '@dynamojs/core';
import { describe, expect, it } from 'vitest';
import { type GenerateEvent, type GenerateOptions, generate, stream } from '../src/index.js';
import {
  distributionSampler,
  expectCode,
  FakeModel,
  FakeTokenizer,
  headsArgmaxSampler,
  scriptedSampler,
  softmaxSampler,
  stochasticDrafter,
} from './fakes.js';

const PROMPT = [1, 2, 3];

async function collect(options: GenerateOptions): Promise<GenerateEvent[]> {
  const events: GenerateEvent[] = [];
  for await (const e of stream(options)) events.push(e);
  return events;
}

describe('timing statistics', () => {
  it('split decode time into the forward passes (forwardMs) and choosing tokens (selectMs)', async () => {
    const model = new FakeModel();
    const forward = model.forward.bind(model);
    // every pass takes ≥ 4 ms in the "model"; the sampler is instant
    model.forward = async (...args: Parameters<typeof forward>) => {
      await new Promise((resolve) => setTimeout(resolve, 4));
      return forward(...args);
    };
    const r = await generate({ model, inputIds: PROMPT, maxNewTokens: 6 });
    const s = r.stats;
    expect(s.forwardMs + s.selectMs).toBeCloseTo(s.decodeMs, 9);
    expect(s.forwardMs).toBeGreaterThanOrEqual(5 * 3.5); // 5 decode passes after the prefill
    expect(s.selectMs).toBeGreaterThanOrEqual(0);
    expect(s.selectMs).toBeLessThan(s.forwardMs);
  });
});

describe('ar mode', () => {
  it('emits the greedy continuation, one token per pass, without the extra heads', async () => {
    const model = new FakeModel();
    const r = await generate({ model, inputIds: PROMPT, maxNewTokens: 20 });
    expect(r.tokens).toEqual(model.greedy(PROMPT, 20));
    expect(r.steps).toEqual(new Array(20).fill(1));
    expect(r.finishReason).toBe('length');
    expect(r.aborted).toBe(false);
    expect(r.stats.forwardPasses).toBe(20);
    expect(r.stats.tokensPerPass).toBe(1);
    expect(r.stats.mode).toBe('ar');
    expect(r.stats.device).toBe('fake');
    expect(model.calls.every((c) => c.headPositions === 'none' && c.positions === 'last')).toBe(true);
    expect(model.calls[0]?.tokens).toEqual(PROMPT);
    expect(model.calls.slice(1).every((c) => c.tokens.length === 1)).toBe(true);
    expect(model.caches.every((c) => c.disposed)).toBe(true);
  });

  it('gives the same tokens on a base-only (1-head) model', async () => {
    const multi = new FakeModel({ heads: 3 });
    const base = new FakeModel({ heads: 1 });
    const a = await generate({ model: multi, inputIds: PROMPT, maxNewTokens: 30, mode: 'ar' });
    const b = await generate({ model: base, inputIds: PROMPT, maxNewTokens: 30, mode: 'ar' });
    expect(b.tokens).toEqual(a.tokens);
  });

  it('reuses one StepView object and grows history as one Int32Array', async () => {
    const model = new FakeModel();
    const sampler = scriptedSampler([[5], [6], [7], [8]], 1);
    const histories: number[][] = [];
    const wrapped: Sampler = {
      name: 'w',
      sample(view) {
        histories.push(Array.from(view.history));
        expect(view.history).toBeInstanceOf(Int32Array);
        return sampler.sample(view);
      },
    };
    const r = await generate({ model, inputIds: PROMPT, maxNewTokens: 4, sampler: wrapped });
    expect(r.tokens).toEqual([5, 6, 7, 8]);
    expect(new Set(sampler.views).size).toBe(1);
    expect(histories).toEqual([PROMPT, [...PROMPT, 5], [...PROMPT, 5, 6], [...PROMPT, 5, 6, 7]]);
  });
});

describe('dynamo mode', () => {
  it('feeds each multi-token emission as one chunk and records the steps', async () => {
    const model = new FakeModel();
    const sampler = scriptedSampler([[4, 5, 6], [7], [8, 9], [10, 11, 12]]);
    const r = await generate({ model, inputIds: PROMPT, maxNewTokens: 12, mode: 'dynamo', sampler });
    expect(r.steps).toEqual([3, 1, 2, 3, 3]);
    expect(r.tokens).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 10, 11, 12]);
    expect(model.calls.map((c) => c.tokens)).toEqual([PROMPT, [4, 5, 6], [7], [8, 9], [10, 11, 12]]);
    expect(model.calls.every((c) => c.headPositions === 'last')).toBe(true);
    expect(r.stats.forwardPasses).toBe(5);
    expect(r.stats.tokensPerPass).toBeCloseTo(12 / 5);
    expect(sampler.views[0]?.heads).toBe(3);
  });

  it('never overshoots maxNewTokens: view.maxTokens shrinks at the end', async () => {
    const model = new FakeModel();
    const sampler = scriptedSampler([[4, 5, 6]]);
    const r = await generate({ model, inputIds: PROMPT, maxNewTokens: 10, sampler });
    expect(r.stats.mode).toBe('dynamo'); // default mode for a multi-head sampler
    expect(r.tokens.length).toBe(10);
    expect(r.steps).toEqual([3, 3, 3, 1]);
    expect(sampler.maxTokens).toEqual([3, 3, 3, 1]);
  });

  it('uses min(model heads, sampler heads) and the heads-argmax sampler follows the heads', async () => {
    const model = new FakeModel({ headAccuracy: 1 });
    const r = await generate({ model, inputIds: PROMPT, maxNewTokens: 30, sampler: headsArgmaxSampler() });
    // With perfect heads, DynaMo's emission equals the greedy continuation, 3 tokens a pass.
    expect(r.tokens).toEqual(model.greedy(PROMPT, 30));
    expect(r.steps).toEqual(new Array(10).fill(3));
    const base = new FakeModel({ heads: 1 });
    const s = scriptedSampler([[4, 5, 6]]);
    const r1 = await generate({ model: base, inputIds: PROMPT, maxNewTokens: 4, sampler: s, mode: 'dynamo' });
    expect(s.maxTokens).toEqual([1, 1, 1, 1]);
    expect(r1.steps).toEqual([1, 1, 1, 1]);
    expect(base.calls.every((c) => c.headPositions === 'none')).toBe(true);
  });
});

describe('verified mode', () => {
  it('greedy: token-for-token identical to ar, with rollbacks and acceptance per head', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      for (const maxNewTokens of [1, 2, 3, 7, 50]) {
        const prompt = [seed % 16, (seed * 7) % 16];
        const model = new FakeModel({ seed });
        const ar = await generate({ model, inputIds: prompt, maxNewTokens, mode: 'ar' });
        const v = await generate({ model, inputIds: prompt, maxNewTokens, mode: 'verified' });
        expect(v.tokens).toEqual(ar.tokens);
        expect(v.tokens.length).toBe(maxNewTokens);
        expect(v.steps.reduce((a, b) => a + b, 0)).toBe(maxNewTokens);
      }
    }
    const model = new FakeModel({ seed: 9, headAccuracy: 0.6 });
    const v = await generate({ model, inputIds: PROMPT, maxNewTokens: 100, mode: 'verified' });
    expect(v.tokens).toEqual(model.greedy(PROMPT, 100));
    const acc = v.stats.acceptance!;
    expect(acc.proposed.length).toBe(2);
    expect(acc.accepted[0]).toBeGreaterThan(0);
    expect(acc.accepted[0]).toBeLessThan(acc.proposed[0]!);
    expect(v.stats.tokensPerPass).toBeGreaterThan(1);
    expect(v.stats.forwardPasses).toBeLessThan(100);
    // Rejections were rolled back with trim.
    const trims = model.caches.flatMap((c) => c.trims);
    expect(trims.length).toBeGreaterThan(0);
    // Verification passes ask for every position.
    expect(model.calls.slice(1).every((c) => c.positions === 'all')).toBe(true);
  });

  it('perfect heads: every draft accepted, 3 tokens per verification pass', async () => {
    const model = new FakeModel({ headAccuracy: 1 });
    const v = await generate({ model, inputIds: PROMPT, maxNewTokens: 31, mode: 'verified' });
    expect(v.tokens).toEqual(model.greedy(PROMPT, 31));
    expect(v.steps).toEqual([1, ...new Array(10).fill(3)]);
    expect(v.stats.acceptance?.rate).toEqual([1, 1]);
    expect(model.caches[0]?.trims).toEqual([]);
  });

  it('useless drafts: still identical to ar', async () => {
    const model = new FakeModel({ headAccuracy: 0 });
    const v = await generate({ model, inputIds: PROMPT, maxNewTokens: 25, mode: 'verified' });
    expect(v.tokens).toEqual(model.greedy(PROMPT, 25));
    expect(v.stats.acceptance?.accepted).toEqual([0, 0]);
  });

  it('sampling with a seed: identical tokens to ar with the same seed', async () => {
    for (const seed of [11, 12, 13, 14]) {
      const model = new FakeModel({ seed, scale: 2 });
      const ar = await generate({ model, inputIds: PROMPT, maxNewTokens: 40, sampler: softmaxSampler(), seed });
      const v = await generate({
        model,
        inputIds: PROMPT,
        maxNewTokens: 40,
        sampler: softmaxSampler(),
        seed,
        mode: 'verified',
      });
      expect(v.tokens).toEqual(ar.tokens);
    }
  });

  it('sampling: the distribution of sequences equals ar (chi-square)', async () => {
    const V = 4;
    const model = new FakeModel({ vocabSize: V, seed: 5, scale: 1.5, headAccuracy: 0.5 });
    const prompt = [1];
    // A random drafter, so accepted/rejected drafts vary from run to run.
    const randomDrafter: Drafter = {
      name: 'random',
      draft(view) {
        const n = view.heads - 1;
        return { tokens: Array.from({ length: n }, () => Math.floor(view.rng.next() * V)) };
      },
    };
    const runs = 3000;
    const counts = new Float64Array(V ** 3);
    for (let i = 0; i < runs; i++) {
      const r = await generate({
        model,
        inputIds: prompt,
        maxNewTokens: 3,
        mode: 'verified',
        sampler: softmaxSampler(),
        drafter: randomDrafter,
        seed: 1000 + i,
      });
      const [a, b, c] = r.tokens as [number, number, number];
      counts[a * V * V + b * V + c]!++;
    }
    let chi2 = 0;
    for (let a = 0; a < V; a++) {
      const pa = model.baseProbs([...prompt])[a]!;
      for (let b = 0; b < V; b++) {
        const pb = model.baseProbs([...prompt, a])[b]!;
        for (let c = 0; c < V; c++) {
          const pc = model.baseProbs([...prompt, a, b])[c]!;
          const expected = runs * pa * pb * pc;
          const observed = counts[a * V * V + b * V + c]!;
          chi2 += (observed - expected) ** 2 / expected;
        }
      }
    }
    // df = 63; the 0.999 quantile of chi-square(63) is about 103.4.
    expect(chi2).toBeLessThan(103.4);
  });

  it("headRows 'last': heads only at the last row, same tokens, no drafts after a rejection", async () => {
    for (const seed of [1, 2, 3]) {
      const model = new FakeModel({ seed, headAccuracy: 0.7 });
      const all = await generate({ model, inputIds: PROMPT, maxNewTokens: 60, mode: 'verified' });
      const callsAll = model.calls.length;
      const last = await generate({ model, inputIds: PROMPT, maxNewTokens: 60, mode: 'verified', headRows: 'last' });
      const calls = model.calls.slice(callsAll);
      expect(last.tokens).toEqual(model.greedy(PROMPT, 60));
      expect(last.tokens).toEqual(all.tokens);
      expect(calls.slice(1).every((c) => c.positions === 'all' && c.headPositions === 'last')).toBe(true);
      // After a rejection (cache trimmed), the next chunk is the exact token alone.
      const lengths = calls.map((c) => c.tokens.length);
      expect(lengths).toContain(1);
      expect(lengths).toContain(3);
      expect(last.stats.acceptance!.accepted[0]).toBeGreaterThan(0);
    }
  });

  describe("verification: 'speculative'", () => {
    const V = 4;
    const prompt = [1];
    async function sequenceChi2(drafter: Drafter | undefined, runs: number) {
      const model = new FakeModel({ vocabSize: V, seed: 5, scale: 1.5, headAccuracy: 0.5 });
      const counts = new Float64Array(V ** 3);
      let accepted = 0;
      for (let i = 0; i < runs; i++) {
        const r = await generate({
          model,
          inputIds: prompt,
          maxNewTokens: 3,
          mode: 'verified',
          verification: 'speculative',
          sampler: distributionSampler(),
          ...(drafter && { drafter }),
          seed: 5000 + i,
        });
        accepted += r.stats.acceptance!.accepted.reduce((a, b) => a + b, 0);
        const [a, b, c] = r.tokens as [number, number, number];
        counts[a * V * V + b * V + c]!++;
      }
      let chi2 = 0;
      for (let a = 0; a < V; a++) {
        for (let b = 0; b < V; b++) {
          for (let c = 0; c < V; c++) {
            const p =
              model.baseProbs([...prompt])[a]! *
              model.baseProbs([...prompt, a])[b]! *
              model.baseProbs([...prompt, a, b])[c]!;
            chi2 += (counts[a * V * V + b * V + c]! - runs * p) ** 2 / (runs * p);
          }
        }
      }
      return { chi2, accepted };
    }

    it('keeps the distribution of ar with stochastic drafts (chi-square) and accepts more than match', async () => {
      const spec = await sequenceChi2(stochasticDrafter(), 3000);
      expect(spec.chi2).toBeLessThan(103.4); // chi-square(63) 0.999 quantile
      expect(spec.accepted).toBeGreaterThan(0);
      // The same stochastic drafts checked by 'match' are accepted less often.
      const model = new FakeModel({ vocabSize: V, seed: 5, scale: 1.5, headAccuracy: 0.5 });
      let matchAccepted = 0;
      for (let i = 0; i < 3000; i++) {
        const r = await generate({
          model,
          inputIds: prompt,
          maxNewTokens: 3,
          mode: 'verified',
          sampler: distributionSampler(),
          drafter: stochasticDrafter(),
          seed: 5000 + i,
        });
        matchAccepted += r.stats.acceptance!.accepted.reduce((a, b) => a + b, 0);
      }
      expect(spec.accepted).toBeGreaterThan(matchAccepted);
    });

    it('keeps the distribution of ar with point-mass (top-1) drafts', async () => {
      const { chi2 } = await sequenceChi2(undefined, 3000);
      expect(chi2).toBeLessThan(103.4);
    });

    it('needs a sampler with distribution()', async () => {
      await expectCode(
        generate({
          model: new FakeModel(),
          inputIds: PROMPT,
          mode: 'verified',
          verification: 'speculative',
          sampler: softmaxSampler(),
        }),
        DynamoErrorCode.INVALID_OPTION,
        'verification',
      );
    });

    it('the default greedy sampler is a point mass: speculative = match, same tokens as ar', async () => {
      const model = new FakeModel({ seed: 4 });
      const ar = await generate({ model, inputIds: PROMPT, maxNewTokens: 30 });
      const v = await generate({
        model,
        inputIds: PROMPT,
        maxNewTokens: 30,
        mode: 'verified',
        verification: 'speculative',
      });
      expect(v.tokens).toEqual(ar.tokens);
    });
  });

  it('caps drafts to maxDraftTokens and to the room left', async () => {
    const model = new FakeModel({ headAccuracy: 1 });
    const v = await generate({ model, inputIds: PROMPT, maxNewTokens: 9, mode: 'verified', maxDraftTokens: 1 });
    expect(v.tokens).toEqual(model.greedy(PROMPT, 9));
    expect(model.calls.slice(1).every((c) => c.tokens.length <= 2)).toBe(true);
    expect(v.stats.acceptance?.proposed[1]).toBe(0);
  });

  it('works on a 1-head model (no drafts)', async () => {
    const model = new FakeModel({ heads: 1 });
    const v = await generate({ model, inputIds: PROMPT, maxNewTokens: 5, mode: 'verified' });
    expect(v.tokens).toEqual(model.greedy(PROMPT, 5));
    expect(v.steps).toEqual([1, 1, 1, 1, 1]);
  });
});

describe('stopping', () => {
  const tokenizer = new FakeTokenizer();

  it('eos inside a multi-token emission ends the generation there', async () => {
    const model = new FakeModel({ eos: 0 });
    const sampler = scriptedSampler([
      [1, 2, 3],
      [8, 0, 9],
    ]);
    const r = await generate({ model, tokenizer, inputIds: PROMPT, maxNewTokens: 20, sampler });
    expect(r.finishReason).toBe('eos');
    expect(r.tokens).toEqual([1, 2, 3, 8]);
    expect(r.text).toBe('ab hello');
    expect(r.steps).toEqual([3, 1]);
    const r2 = await generate({ model, tokenizer, inputIds: PROMPT, maxNewTokens: 5, sampler, eos: false });
    expect(r2.finishReason).toBe('length');
    expect(r2.tokens).toEqual([1, 2, 3, 8, 0]);
  });

  it('stop string inside a multi-token emission, trimmed exactly', async () => {
    const model = new FakeModel();
    // "hello world" "." " " "END" ...
    const sampler = scriptedSampler([
      [8, 9],
      [7, 3, 4],
      [10, 11, 12],
    ]);
    const r = await generate({ model, tokenizer, inputIds: PROMPT, sampler, stop: 'END', maxNewTokens: 20 });
    expect(r.finishReason).toBe('stop');
    expect(r.stopString).toBe('END');
    expect(r.text).toBe('hello world. ');
    expect(r.tokens).toEqual([8, 9, 7, 3]);
    expect(tokenizer.decode(r.tokens)).toBe(r.text);
  });

  it('stop string across token boundaries and across steps', async () => {
    const model = new FakeModel();
    // tokens: hello, ' world', E | ND, x  →  "hello worldENDx"
    const sampler = scriptedSampler([
      [8, 9, 5],
      [6, 10],
    ]);
    const r = await generate({ model, tokenizer, inputIds: PROMPT, sampler, stop: ['dEN', 'zzz'], maxNewTokens: 20 });
    expect(r.text).toBe('hello worl');
    expect(r.stopString).toBe('dEN');
    // ' world' holds the start of the stop string: it is the last token kept.
    expect(r.tokens).toEqual([8, 9]);
    expect(tokenizer.decode(r.tokens).startsWith(r.text)).toBe(true);
    expect(r.finishReason).toBe('stop');
  });

  it('the earliest of several stop strings wins; a stop at the very start leaves no text', async () => {
    const model = new FakeModel();
    const s1 = scriptedSampler([[10, 11, 12]]);
    const r = await generate({ model, tokenizer, inputIds: PROMPT, sampler: s1, stop: ['z', 'xy'], maxNewTokens: 9 });
    expect(r.text).toBe('');
    expect(r.stopString).toBe('xy');
    expect(r.tokens).toEqual([]);
  });

  it('streams text deltas that never contain a (partial) stop string and join to the result text', async () => {
    const model = new FakeModel();
    // "a E" could start "END" → held back; "x" shows it was not → released.
    const sampler = scriptedSampler([[1, 3, 5], [10], [3, 4]], 3);
    const events = await collect({ model, tokenizer, inputIds: PROMPT, sampler, stop: 'END', maxNewTokens: 20 });
    const texts = events.filter((e) => e.type === 'text').map((e) => (e as { text: string }).text);
    const done = events.at(-1);
    expect(done?.type).toBe('done');
    const result = (done as { result: { text: string; finishReason: string } }).result;
    expect(result.text).toBe('a Ex ');
    expect(result.finishReason).toBe('stop');
    expect(texts.join('')).toBe(result.text);
    expect(texts).toEqual(['a ', 'Ex', ' ']);
    const tokenEvents = events.filter((e) => e.type === 'tokens');
    expect(tokenEvents.map((e) => (e as { step: number }).step)).toEqual([0, 1, 2]);
  });

  it('holds back an incomplete UTF-8 character until its last byte arrives', async () => {
    const model = new FakeModel();
    const sampler = scriptedSampler([[1], [14], [15], [2]], 1);
    const events = await collect({ model, tokenizer, inputIds: PROMPT, sampler, maxNewTokens: 4 });
    const texts = events.filter((e) => e.type === 'text').map((e) => (e as { text: string }).text);
    expect(texts).toEqual(['a', 'é', 'b']);
    const r = await generate({ model, tokenizer, inputIds: PROMPT, sampler, maxNewTokens: 4 });
    expect(r.text).toBe('aéb');
  });

  it('maxNewTokens=1 and prompt text through the tokenizer', async () => {
    const model = new FakeModel();
    const r = await generate({ model, tokenizer, prompt: 'hello world', maxNewTokens: 1 });
    expect(r.promptIds).toEqual([8, 9]);
    expect(r.tokens).toEqual(model.greedy([8, 9], 1));
    expect(r.text).toBe(tokenizer.decode(r.tokens));
  });
});

describe('abort', () => {
  it('stops within one step and resolves with what was generated', async () => {
    const model = new FakeModel();
    const controller = new AbortController();
    let calls = 0;
    const sampler: Sampler = {
      name: 'aborting',
      heads: 3,
      sample(view) {
        if (++calls === 3) controller.abort();
        return [1, 2, 3].slice(0, view.maxTokens);
      },
    };
    const r = await generate({ model, inputIds: PROMPT, sampler, signal: controller.signal, maxNewTokens: 50 });
    expect(r.aborted).toBe(true);
    expect(r.finishReason).toBe('aborted');
    expect(r.tokens.length).toBe(9);
    expect(model.calls.length).toBe(3);
    expect(model.caches[0]?.disposed).toBe(true);
  });

  it('an already aborted signal gives an empty, aborted result; stream ends with done', async () => {
    const model = new FakeModel();
    const signal = AbortSignal.abort();
    const r = await generate({ model, inputIds: PROMPT, signal });
    expect(r).toMatchObject({ aborted: true, finishReason: 'aborted', tokens: [] });
    const events = await collect({ model, inputIds: PROMPT, signal });
    expect(events.map((e) => e.type)).toEqual(['done']);
  });

  it('an abort during a forward pass (model throws DYNAMO_ABORTED) resolves aborted', async () => {
    const model = new FakeModel({ async: true });
    const controller = new AbortController();
    const p = generate({ model, inputIds: PROMPT, signal: controller.signal, maxNewTokens: 200, mode: 'verified' });
    setTimeout(() => controller.abort(), 5);
    const r = await p;
    expect(r.aborted).toBe(true);
    expect(r.tokens.length).toBeLessThan(200);
    expect(r.tokens).toEqual(model.greedy(PROMPT, r.tokens.length));
  });

  it('a stream aborted mid-way ends with a done event holding the partial result', async () => {
    const model = new FakeModel();
    const tokenizer = new FakeTokenizer();
    const controller = new AbortController();
    const events: GenerateEvent[] = [];
    for await (const e of stream({ model, tokenizer, inputIds: PROMPT, maxNewTokens: 50, signal: controller.signal })) {
      events.push(e);
      if (e.type === 'tokens' && e.step === 4) controller.abort();
    }
    const done = events.at(-1) as Extract<GenerateEvent, { type: 'done' }>;
    expect(done.type).toBe('done');
    expect(done.result).toMatchObject({ aborted: true, finishReason: 'aborted' });
    expect(done.result.tokens).toEqual(model.greedy(PROMPT, 5));
    const text = events
      .filter((e) => e.type === 'text')
      .map((e) => (e as { text: string }).text)
      .join('');
    expect(text).toBe(done.result.text);
  });

  it('breaking out of a stream frees the cache', async () => {
    const model = new FakeModel();
    for await (const e of stream({ model, inputIds: PROMPT, maxNewTokens: 50 })) {
      if (e.type === 'tokens' && e.step === 2) break;
    }
    expect(model.caches[0]?.disposed).toBe(true);
  });
});

describe('context limit', () => {
  it('a prompt that leaves no room throws DYNAMO_CONTEXT_OVERFLOW, or is truncated on the left', async () => {
    const model = new FakeModel({ contextLength: 8 });
    const prompt = [1, 2, 3, 4, 5, 6, 7, 8];
    await expectCode(generate({ model, inputIds: prompt }), DynamoErrorCode.CONTEXT_OVERFLOW);
    const r = await generate({ model, inputIds: prompt, truncate: 'left', maxNewTokens: 3 });
    expect(r.promptIds).toEqual([4, 5, 6, 7, 8]);
    expect(r.tokens.length).toBe(3);
    expect(r.finishReason).toBe('length');
  });

  it('generation that reaches the limit stops with finishReason "context" in every mode', async () => {
    for (const mode of ['ar', 'dynamo', 'verified'] as const) {
      const model = new FakeModel({ contextLength: 12, headAccuracy: 1 });
      const sampler = mode === 'dynamo' ? scriptedSampler([[4, 5, 6]]) : undefined;
      const r = await generate({ model, inputIds: PROMPT, mode, maxNewTokens: 100, ...(sampler && { sampler }) });
      expect(r.finishReason).toBe('context');
      expect(PROMPT.length + r.tokens.length).toBe(12);
      if (mode !== 'dynamo') expect(r.tokens).toEqual(model.greedy(PROMPT, 9));
    }
  });
});

describe('concurrency', () => {
  it('two generations on one model at the same time do not corrupt each other', async () => {
    const model = new FakeModel({ async: true, seed: 3 });
    const solo = new FakeModel({ seed: 3 });
    const pa = [1, 2];
    const pb = [7, 9, 4];
    const [a, b, c] = await Promise.all([
      generate({ model, inputIds: pa, maxNewTokens: 30, mode: 'verified' }),
      generate({ model, inputIds: pb, maxNewTokens: 30, sampler: headsArgmaxSampler() }),
      generate({ model, inputIds: pb, maxNewTokens: 30, sampler: softmaxSampler(), seed: 5 }),
    ]);
    expect(a.tokens).toEqual(solo.greedy(pa, 30));
    const b2 = await generate({ model: solo, inputIds: pb, maxNewTokens: 30, sampler: headsArgmaxSampler() });
    const c2 = await generate({ model: solo, inputIds: pb, maxNewTokens: 30, sampler: softmaxSampler(), seed: 5 });
    expect(b.tokens).toEqual(b2.tokens);
    expect(c.tokens).toEqual(c2.tokens);
    expect(new Set(model.caches).size).toBe(3);
  });
});

describe('processors', () => {
  it('are applied to a copy of every head before the sampler sees it', async () => {
    const model = new FakeModel();
    const greedyFirst = model.greedy(PROMPT, 1)[0]!;
    const ban: LogitsProcessor = {
      name: 'ban',
      process(logits, ctx) {
        expect(ctx.history.length).toBeGreaterThanOrEqual(PROMPT.length);
        logits[greedyFirst] = Number.NEGATIVE_INFINITY;
      },
    };
    const r = await generate({ model, inputIds: PROMPT, maxNewTokens: 20, processors: [ban] });
    expect(r.tokens).not.toContain(greedyFirst);
    const v = await generate({ model, inputIds: PROMPT, maxNewTokens: 20, processors: [ban], mode: 'verified' });
    expect(v.tokens).toEqual(r.tokens);
  });
});

describe('validation', () => {
  const model = new FakeModel();
  const bad: [Partial<GenerateOptions> & Record<string, unknown>, string][] = [
    [{ maxNewTokens: 0 }, 'maxNewTokens'],
    [{ mode: 'dynamo' }, 'sampler'],
    [{ maxNewTokens: 1.5 }, 'maxNewTokens'],
    [{ mode: 'fast' as never }, 'mode'],
    [{ seed: Number.NaN }, 'seed'],
    [{ stop: [''] }, 'stop[0]'],
    [{ stop: 'x' }, 'tokenizer'],
    [{ truncate: 'right' as never }, 'truncate'],
    [{ sampler: {} as never }, 'sampler'],
    [{ processors: [{}] as never }, 'processors[0]'],
    [{ drafter: { name: 'x' } as never }, 'drafter'],
    [{ maxDraftTokens: -1 }, 'maxDraftTokens'],
    [{ headRows: 'some' as never }, 'headRows'],
    [{ eos: 99 }, 'eos[0]'],
    [{ signal: {} as never }, 'signal'],
    [{ maxTokens: 5 }, 'maxTokens'],
    [{ prompt: 'hi' }, 'prompt'],
    [{ skipSpecialTokens: 'yes' as never }, 'skipSpecialTokens'],
  ];
  for (const [opts, option] of bad) {
    it(`rejects ${JSON.stringify(opts)} naming "${option}"`, async () => {
      await expectCode(
        generate({ model, inputIds: PROMPT, ...opts } as GenerateOptions),
        DynamoErrorCode.INVALID_OPTION,
        option,
      );
    });
  }

  it('rejects a missing prompt, a missing model and out-of-vocabulary prompt ids', async () => {
    await expectCode(generate({ model } as GenerateOptions), DynamoErrorCode.INVALID_OPTION, 'prompt');
    await expectCode(generate({ inputIds: PROMPT } as never), DynamoErrorCode.INVALID_OPTION, 'model');
    await expectCode(generate({ model, inputIds: [1, 99] }), DynamoErrorCode.TOKEN_OUT_OF_RANGE);
    await expectCode(
      generate({ model, tokenizer: { ...new FakeTokenizer() } as never, inputIds: [1] }),
      'DYNAMO_INVALID_OPTION',
      'tokenizer',
    );
  });

  const badSamplers: [string, (view: { maxTokens: number }) => ArrayLike<number>][] = [
    ['empty', () => []],
    ['too long', (v) => new Array(v.maxTokens + 1).fill(1)],
    ['out of vocab', () => [16]],
    ['negative', () => [-1]],
    ['fractional', () => [1.5]],
    ['not an array', () => 3 as never],
  ];
  for (const [what, sample] of badSamplers) {
    it(`a sampler output that is ${what} → DYNAMO_SAMPLER, cache freed`, async () => {
      const m = new FakeModel();
      await expectCode(
        generate({ model: m, inputIds: PROMPT, sampler: { name: what, heads: 3, sample } }),
        DynamoErrorCode.SAMPLER,
      );
      expect(m.caches.every((c) => c.disposed)).toBe(true);
    });
  }

  it('a drafter returning bad tokens or a malformed tree → DYNAMO_SAMPLER; long chains are cut to the room left', async () => {
    const oov: Drafter = { name: 'oov', draft: () => ({ tokens: [99] }) };
    const loop: Drafter = { name: 'loop', draft: () => ({ tokens: [1, 2], parents: [1, 0] }) };
    const half: Drafter = { name: 'half', draft: () => ({ tokens: [1], probability: () => 0.5 }) };
    for (const drafter of [oov, loop, half]) {
      await expectCode(generate({ model, inputIds: PROMPT, mode: 'verified', drafter }), DynamoErrorCode.SAMPLER);
    }
    const m = new FakeModel();
    const long: Drafter = { name: 'long', draft: () => ({ tokens: new Array(40).fill(1) }) };
    const r = await generate({ model: m, inputIds: PROMPT, mode: 'verified', drafter: long, maxNewTokens: 6 });
    expect(r.tokens).toEqual(m.greedy(PROMPT, 6));
    expect(m.calls.slice(1).every((c) => c.tokens.length <= 6)).toBe(true);
  });

  it('a sampler reading a head it was not given → DYNAMO_SAMPLER', async () => {
    const sampler: Sampler = { name: 'greedy-head-2', sample: (v) => [v.logits(2).indexOf(Math.max(...v.logits(2)))] };
    await expectCode(generate({ model, inputIds: PROMPT, sampler }), DynamoErrorCode.SAMPLER);
  });
});

describe('readable stream', () => {
  it('toReadableStream yields the same events', async () => {
    const model = new FakeModel();
    const tokenizer = new FakeTokenizer();
    const rs = stream({ model, tokenizer, inputIds: PROMPT, maxNewTokens: 6 }).toReadableStream();
    const reader = rs.getReader();
    const events: GenerateEvent[] = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      events.push(value);
    }
    const done = events.at(-1) as { type: 'done'; result: { tokens: number[]; text: string } };
    expect(done.type).toBe('done');
    expect(done.result.tokens).toEqual(model.greedy(PROMPT, 6));
    const text = events
      .filter((e) => e.type === 'text')
      .map((e) => (e as { text: string }).text)
      .join('');
    expect(text).toBe(done.result.text);
  });
});
