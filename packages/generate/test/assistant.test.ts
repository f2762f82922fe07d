import type { ForwardOptions, ForwardResult, KVCache, MultiTokenModel } from '@dynamojs/core';
import { assistantDrafter, greedy, sampling } from '@dynamojs/samplers';
import { describe, expect, it } from 'vitest';
import { generate } from '../src/index.js';
import { FakeModel, sequenceChiSquare } from './fakes.js';

function noiseOf(seed: number, position: number, last: number, v: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(position + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (last + 7), 0x27d4eb2d) ^ Math.imul(v + 3, 0x165667b1);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return ((h ^ (h >>> 12)) >>> 0) / 2 ** 32 - 0.5;
}

/**
 * An assistant: the target's own logits (an inner FakeModel with the target's options) plus
 * noise — an imperfect small model with the same vocabulary. noise 0: a perfect assistant.
 */
class NoisyAssistant implements MultiTokenModel {
  readonly inner: FakeModel;
  readonly metadata: MultiTokenModel['metadata'];
  /** Hook before each forward (tests abort here). */
  hook: ((call: number) => void) | undefined = undefined;
  calls = 0;
  constructor(
    options: ConstructorParameters<typeof FakeModel>[0],
    private readonly noise: number,
  ) {
    this.inner = new FakeModel({ ...options, heads: 1 });
    this.metadata = { ...this.inner.metadata, name: 'assistant' };
  }
  createCache(): KVCache {
    return this.inner.createCache();
  }
  async forward(tokens: ArrayLike<number>, cache: KVCache, options?: ForwardOptions): Promise<ForwardResult> {
    this.hook?.(this.calls++);
    const r = await this.inner.forward(tokens, cache, options);
    const row = r.logits(0).slice();
    const last = tokens[tokens.length - 1] as number;
    for (let v = 0; v < row.length; v++) row[v] = (row[v] as number) + this.noise * noiseOf(3, cache.length, last, v);
    return { heads: 1, positionCount: 1, headPositionCount: 0, logits: () => row };
  }
  async dispose(): Promise<void> {}
}

const PROMPTS = [[1, 2, 3], [4], [7, 7, 7, 7, 2]];

describe('assistant-model drafting in verified mode', () => {
  it('greedy: exactly ar’s tokens, several tokens per pass, stats flow', async () => {
    const target = new FakeModel({ heads: 1, vocabSize: 16, seed: 9, scale: 6 });
    for (const noise of [0, 1.5, 6]) {
      const assistant = new NoisyAssistant({ vocabSize: 16, seed: 9, scale: 6 }, noise);
      // minProbability 0: the fake's distributions are flat (top probability often < 0.4)
      const drafter = assistantDrafter(assistant, { draw: 'argmax', target, minProbability: 0 });
      for (const prompt of PROMPTS) {
        const ar = await generate({ model: target, inputIds: prompt, maxNewTokens: 40, sampler: greedy() });
        const v = await generate({
          model: target,
          inputIds: prompt,
          maxNewTokens: 40,
          sampler: greedy(),
          mode: 'verified',
          drafter,
        });
        expect(v.tokens).toEqual(ar.tokens);
        if (noise === 0) expect(v.stats.tokensPerPass).toBeGreaterThan(3);
      }
      const stats = drafter.report();
      expect(stats.proposed).toBeGreaterThan(0);
      if (noise === 0) expect(stats.accepted).toBe(stats.proposed);
      else expect(stats.accepted).toBeLessThan(stats.proposed);
    }
  });

  it('alternates (a chain + next-best siblings, argmax): exactly ar’s tokens, more per pass on a tree model', async () => {
    // a tree-attention target (the fake's default): one pass checks the chain and its alternates
    const target = new FakeModel({ heads: 1, vocabSize: 16, seed: 9, scale: 6 });
    const assistant = new NoisyAssistant({ vocabSize: 16, seed: 9, scale: 6 }, 4);
    const run = async (alternates: number, model: FakeModel) => {
      const drafter = assistantDrafter(assistant, {
        draw: 'argmax',
        minProbability: 0,
        alternates,
        schedule: 'constant',
      });
      let passes = 0;
      let tokens = 0;
      for (const prompt of PROMPTS) {
        const ar = await generate({ model, inputIds: prompt, maxNewTokens: 40, sampler: greedy() });
        const v = await generate({
          model,
          inputIds: prompt,
          maxNewTokens: 40,
          sampler: greedy(),
          mode: 'verified',
          drafter,
        });
        expect(v.tokens).toEqual(ar.tokens);
        passes += v.stats.forwardPasses;
        tokens += v.stats.tokens;
      }
      return tokens / passes;
    };
    const chain = await run(0, target);
    const tree = await run(2, target);
    expect(tree).toBeGreaterThan(chain);
    // a chain-only target verifies the tree's first path (the chain): the same tokens, no error
    const chainOnly = new FakeModel({ heads: 1, vocabSize: 16, seed: 9, scale: 6, treeAttention: false });
    expect(await run(2, chainOnly)).toBeCloseTo(await run(0, chainOnly), 5);
    expect(() => assistantDrafter(assistant, { alternates: 1 })).toThrow(/argmax/);
    expect(() => assistantDrafter(assistant, { draw: 'argmax', alternates: 5 })).toThrow(/alternates/);
  });

  it('the verification counters and the drafter’s agree, and k adapts', async () => {
    const target = new FakeModel({ heads: 1, vocabSize: 16, seed: 4, scale: 6 });
    const assistant = new NoisyAssistant({ vocabSize: 16, seed: 4, scale: 6 }, 3);
    const drafter = assistantDrafter(assistant, { draw: 'argmax', target, k: 3 });
    const v = await generate({
      model: target,
      inputIds: [1, 2],
      maxNewTokens: 60,
      sampler: greedy(),
      mode: 'verified',
      drafter,
    });
    const a = v.stats.acceptance;
    expect(a).toBeDefined();
    expect(drafter.report().proposed).toBe(a?.draftedNodes);
    expect(drafter.report().accepted).toBe(a?.accepted.reduce((s, x) => s + x, 0));
  });

  it('sampling with speculative verification: exactly ar’s distribution (chi-square), imperfect assistant', async () => {
    const V = 4;
    const options = { vocabSize: V, seed: 5, scale: 1.5 };
    const target = new FakeModel({ ...options, heads: 1 });
    const assistant = new NoisyAssistant(options, 1.2);
    const drafter = assistantDrafter(assistant, { target, k: 2, minProbability: 0 });
    const prompt = [1];
    const runs = 3000;
    const counts = new Float64Array(V ** 3);
    let passes = 0;
    for (let i = 0; i < runs; i++) {
      const r = await generate({
        model: target,
        inputIds: prompt,
        maxNewTokens: 3,
        mode: 'verified',
        verification: 'speculative',
        sampler: sampling(),
        drafter,
        seed: 9000 + i,
      });
      passes += r.stats.forwardPasses;
      const [a, b, c] = r.tokens as [number, number, number];
      counts[a * V * V + b * V + c]!++;
    }
    expect(passes / runs).toBeLessThan(2.6); // drafts were accepted (3 tokens take 3 passes without)
    const chi2 = sequenceChiSquare(target, prompt, counts, runs);
    // df = 63; the 0.999 quantile of chi-square(63) is about 103.4.
    expect(chi2).toBeLessThan(103.4);
  });

  it('an abort mid-draft ends the generation as aborted; the drafter then gives ar’s tokens again', async () => {
    const target = new FakeModel({ heads: 1, vocabSize: 16, seed: 2, scale: 6 });
    const assistant = new NoisyAssistant({ vocabSize: 16, seed: 2, scale: 6 }, 2);
    const drafter = assistantDrafter(assistant, { draw: 'argmax', target });
    const controller = new AbortController();
    assistant.hook = (call) => {
      if (call === 5) controller.abort();
    };
    const aborted = await generate({
      model: target,
      inputIds: [3, 1],
      maxNewTokens: 40,
      sampler: greedy(),
      mode: 'verified',
      drafter,
      signal: controller.signal,
    });
    expect(aborted.finishReason).toBe('aborted');
    assistant.hook = undefined;
    const ar = await generate({ model: target, inputIds: [3, 1], maxNewTokens: 40, sampler: greedy() });
    const again = await generate({
      model: target,
      inputIds: [3, 1],
      maxNewTokens: 40,
      sampler: greedy(),
      mode: 'verified',
      drafter,
    });
    expect(again.tokens).toEqual(ar.tokens);
    expect(again.finishReason).toBe('length');
  });
});
