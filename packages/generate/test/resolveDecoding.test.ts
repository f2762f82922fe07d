import { isChainSampler } from '@dynamojs/core';
import { generate, resolveDecoding, resolveDecodingSettings } from '@dynamojs/generate';
import { describe, expect, it } from 'vitest';
import { FakeModel } from './fakes.js';

const tables = true; // the planning only needs to know they exist
const head = true;

function code(fn: () => unknown): { code?: string; option?: string } {
  try {
    fn();
  } catch (error) {
    const e = error as { code?: string; details?: { option?: string } };
    return { code: e.code, option: e.details?.option };
  }
  throw new Error('expected a throw');
}

describe('resolveDecodingSettings', () => {
  it('takes the settings, then the model manifest, then the fallbacks', () => {
    const s = resolveDecodingSettings({ topK: 7 }, { topK: 20, temperature: 0.9, repetitionPenalty: 1.3 });
    expect(s).toMatchObject({ mode: 'dynamo', topK: 7, temperature: 0.9, repetitionPenalty: 1.3, topP: 1 });
    expect(resolveDecodingSettings({}, undefined)).toMatchObject({
      temperature: 0.7,
      topK: 50,
      repetitionPenalty: 1.1,
    });
  });

  it('greedy (or temperature 0) drops the repetition penalty unless asked for, keeps the model temperature', () => {
    expect(resolveDecodingSettings({ temperature: 0 }, { temperature: 0.8 })).toMatchObject({
      greedy: true,
      temperature: 0.8,
      repetitionPenalty: 1,
    });
    expect(resolveDecodingSettings({ greedy: true, repetitionPenalty: 1.2 })).toMatchObject({ repetitionPenalty: 1.2 });
  });

  it('the model recommendations for its preset reach the DynaMo options, the settings over them', () => {
    const s = resolveDecodingSettings({ epsilon: 0.3 }, { preset: 'calibrated', epsilon: 0.05, alpha: 2 });
    expect(s.dynamo).toMatchObject({ preset: 'calibrated', epsilon: 0.3, alpha: 2 });
    // another preset: the model's values are not for it
    expect(
      resolveDecodingSettings({ preset: 'paper' }, { preset: 'calibrated', alpha: 2 }).dynamo.alpha,
    ).toBeUndefined();
  });

  it('names the bad setting', () => {
    expect(code(() => resolveDecodingSettings({ topK: 0 }))).toEqual({ code: 'DYNAMO_INVALID_OPTION', option: 'topK' });
    expect(code(() => resolveDecodingSettings({ topP: 1.5 }))).toMatchObject({ option: 'topP' });
    expect(code(() => resolveDecodingSettings({ temperature: -1 }))).toMatchObject({ option: 'temperature' });
    expect(code(() => resolveDecodingSettings({ drafter: 'magic' as 'auto' }))).toMatchObject({ option: 'drafter' });
    expect(code(() => resolveDecodingSettings({ tempreature: 1 } as object))).toMatchObject({ option: 'tempreature' });
    expect(code(() => resolveDecodingSettings({ epsilon: Number.NaN }))).toMatchObject({ option: 'epsilon' });
  });
});

describe('resolveDecoding', () => {
  it("dynamo: the draft head's chain on the base graph when sampling, the heads' top-1 when greedy", () => {
    const chain = resolveDecoding({}, { heads: 3, draftHead: head, tables });
    expect(chain).toMatchObject({ method: 'dynamo-chain', graph: 'base', needs: { draftHead: true, tables: false } });
    const greedy = resolveDecoding({ greedy: true }, { heads: 3, draftHead: head, tables });
    expect(greedy).toMatchObject({ method: 'dynamo-heads', graph: 'multi', needs: { draftHead: false, tables: true } });
    expect(resolveDecoding({ joint: 'heads' }, { heads: 3, draftHead: head }).method).toBe('dynamo-heads');
    expect(resolveDecoding({}, { heads: 3 }).notes.join()).toMatch(/no ngrams.bin/);
    expect(code(() => resolveDecoding({ joint: 'chain' }, { heads: 3 }))).toEqual({
      code: 'DYNAMO_INVALID_OPTION',
      option: 'joint',
    });
  });

  it('verified: the best lossless drafter for the model and device', () => {
    const full = { heads: 3, draftHead: head, tables };
    // sampling with a draft head: its chains, speculative (exactly ar's distribution)
    expect(resolveDecoding({ mode: 'verified' }, full)).toMatchObject({
      drafter: 'head',
      verification: 'speculative',
      graph: 'base',
      needs: { draftHead: true, tables: false },
    });
    // greedy on a CPU: n-gram drafts on the base graph; on a GPU: DynaMo trees (most tokens per pass)
    expect(resolveDecoding({ mode: 'verified', greedy: true }, { ...full, device: 'cpu' })).toMatchObject({
      drafter: 'ngram',
      verification: 'match',
      graph: 'base',
      treeBudget: 8,
    });
    expect(resolveDecoding({ mode: 'verified', greedy: true }, { ...full, device: 'webgpu' })).toMatchObject({
      drafter: 'tree',
      graph: 'multi',
      treeBudget: 24,
    });
    // sampling without a draft head: trees with tables, top-1 chains with heads, else n-gram
    expect(resolveDecoding({ mode: 'verified' }, { heads: 3, tables }).drafter).toBe('tree');
    expect(resolveDecoding({ mode: 'verified' }, { heads: 3 }).drafter).toBe('top1');
    expect(resolveDecoding({ mode: 'verified' }, { heads: 1 }).drafter).toBe('ngram');
    // explicit choices are kept
    expect(
      resolveDecoding({ mode: 'verified', drafter: 'tree', verification: 'match', treeBudget: 12 }, full),
    ).toMatchObject({ drafter: 'tree', verification: 'match', treeBudget: 12 });
    expect(code(() => resolveDecoding({ mode: 'verified', drafter: 'head' }, { heads: 3 }))).toMatchObject({
      option: 'drafter',
    });
    expect(code(() => resolveDecoding({ mode: 'verified', drafter: 'tree' }, { heads: 3 }))).toMatchObject({
      option: 'drafter',
    });
  });

  it('no mode: dynamo on a DynaMo model, lossless verified on a plain one-head export, ar where not pass-invariant', () => {
    expect(resolveDecoding({}, { heads: 3, tables }).mode).toBe('dynamo');
    expect(resolveDecoding({}, { heads: 1, draftHead: head }).mode).toBe('dynamo');
    expect(resolveDecoding({}, {}).mode).toBe('dynamo'); // nothing known: the fallback
    const plain = resolveDecoding({}, { heads: 1 });
    expect([plain.mode, plain.drafter, plain.graph]).toEqual(['verified', 'ngram', 'base']);
    expect(resolveDecoding({ greedy: true }, { heads: 1 }).verification).toBe('match');
    const q8 = resolveDecoding({}, { heads: 1, passInvariant: false });
    expect(q8.mode).toBe('ar');
    expect(q8.notes).toEqual([]);
    // asked for verified on it anyway: it runs, and the plan says it is not exactly ar
    const asked = resolveDecoding({ mode: 'verified' }, { heads: 1, passInvariant: false });
    expect(asked.mode).toBe('verified');
    expect(asked.notes.join()).toMatch(/not exactly 'ar'/);
    expect(resolveDecoding({ mode: 'dynamo' }, { heads: 1 }).mode).toBe('dynamo');
  });

  it('create() makes fresh components per generation, with the processors of every mode', () => {
    const plan = resolveDecoding({ mode: 'dynamo' }, { heads: 1, draftHead: head });
    expect(() => plan.create()).not.toThrow(); // the chain sampler does not need the head object
    const a = plan.create();
    const b = plan.create();
    expect(a.sampler).not.toBe(b.sampler);
    expect(isChainSampler(a.sampler)).toBe(true);
    expect(a.processors).toHaveLength(1);
    expect(resolveDecoding({ mode: 'ar', greedy: true }).create().processors).toHaveLength(0);
    // the head drafter needs the loaded head
    expect(code(() => resolveDecoding({ mode: 'verified' }, { draftHead: head }).create())).toMatchObject({
      option: 'drafter',
    });
  });

  it("a plan's components run: greedy verified gives greedy ar's tokens", async () => {
    const model = new FakeModel({ heads: 3, avoidEos: true });
    const run = async (mode: 'ar' | 'verified') => {
      const plan = resolveDecoding({ mode, greedy: true }, { heads: model.metadata.heads, device: 'webgpu' });
      const r = await generate({ model, inputIds: [1, 2, 3], maxNewTokens: 24, ...plan.create() });
      return { plan, r };
    };
    const ar = await run('ar');
    const verified = await run('verified');
    expect(verified.plan.drafter).toBe('top1');
    expect(verified.r.tokens).toEqual(ar.r.tokens);
    expect(verified.r.stats.method).toBe('verified');
    expect(verified.r.stats.tokensPerPass).toBeGreaterThan(1);
  });
});
