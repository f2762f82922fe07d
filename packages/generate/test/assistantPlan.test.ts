import { AssistantDrafter, greedy } from '@dynamojs/samplers';
import { describe, expect, it } from 'vitest';
import { chooseDrafter, DRAFTERS, generate, resolveDecoding } from '../src/index.js';
import { expectCode, FakeModel } from './fakes.js';

describe('the assistant drafter in the decoding plan', () => {
  it("is a drafter kind; 'auto' picks it when an assistant is given", () => {
    expect(DRAFTERS).toContain('assistant');
    for (const greedy of [true, false]) {
      for (const device of ['cpu', 'cuda', undefined]) {
        expect(chooseDrafter({ greedy, heads: 3, draftHead: true, tables: true, assistant: true, device })).toBe(
          'assistant',
        );
      }
    }
    const plan = resolveDecoding({ mode: 'verified', greedy: true }, { assistant: true, heads: 3, tables: true });
    expect(plan.drafter).toBe('assistant');
    expect(plan.graph).toBe('base');
    expect(plan.needs).toEqual({ draftHead: false, tables: false, assistant: true });
    expect(plan.verification).toBe('match');
    // an assistant without a mode: verified with it, on a DynaMo model (default dynamo) as on a hub export
    for (const heads of [3, 1]) {
      const byDefault = resolveDecoding({ greedy: true }, { assistant: true, heads, draftHead: heads === 3 });
      expect([byDefault.mode, byDefault.drafter]).toEqual(['verified', 'assistant']);
    }
    expect(resolveDecoding({ mode: 'dynamo' }, { assistant: true, heads: 3 }).mode).toBe('dynamo');
    // without an assistant, auto is what it was
    expect(resolveDecoding({ mode: 'verified', greedy: true }, {}).drafter).toBe('ngram');
    expect(resolveDecoding({ mode: 'verified', greedy: true }, {}).needs.assistant).toBe(false);
  });

  it('sampling: speculative verification, the assistant drawing from the same processed distribution', () => {
    const assistant = new FakeModel({ heads: 1 });
    const plan = resolveDecoding(
      { mode: 'verified', temperature: 0.8, topK: 5, assistantK: 3, assistantMinProbability: 0.1 },
      { assistant },
    );
    expect(plan.verification).toBe('speculative');
    const { drafter, verification } = plan.create();
    expect(drafter).toBeInstanceOf(AssistantDrafter);
    expect(verification).toBe('speculative');
    expect((drafter as AssistantDrafter).k).toBe(3);
    expect(drafter?.name).toContain('sample');
    const greedyPlan = resolveDecoding({ mode: 'verified', greedy: true, drafter: 'assistant' }, { assistant: true });
    const g = greedyPlan.create({ assistant });
    expect(g.drafter?.name).toContain('argmax');
  });

  it("'assistant' without one, or create() without the loaded model: DYNAMO_INVALID_OPTION naming drafter", async () => {
    await expectCode(
      Promise.resolve().then(() => resolveDecoding({ mode: 'verified', drafter: 'assistant' }, {})),
      'DYNAMO_INVALID_OPTION',
      'drafter',
    );
    const plan = resolveDecoding({ mode: 'verified', drafter: 'assistant' }, { assistant: true });
    await expectCode(
      Promise.resolve().then(() => plan.create({})),
      'DYNAMO_INVALID_OPTION',
      'drafter',
    );
    for (const bad of [{ assistantK: 0 }, { assistantK: 17 }, { assistantMinProbability: 1.5 }]) {
      await expectCode(
        Promise.resolve().then(() => resolveDecoding({ mode: 'verified', ...bad }, { assistant: true })),
        'DYNAMO_INVALID_OPTION',
      );
    }
  });

  it('create({ assistant, target }) checks the vocabulary; the plan’s drafter decodes exactly ar (greedy)', async () => {
    const target = new FakeModel({ heads: 1, vocabSize: 16, seed: 3, scale: 6 });
    const assistant = new FakeModel({ heads: 1, vocabSize: 16, seed: 3, scale: 6 });
    const plan = resolveDecoding({ mode: 'verified', greedy: true, assistantMinProbability: 0 }, { assistant: true });
    const components = plan.create({ assistant, target });
    const ar = await generate({ model: target, inputIds: [1, 2], maxNewTokens: 30, sampler: greedy() });
    const v = await generate({ model: target, inputIds: [1, 2], maxNewTokens: 30, ...components });
    expect(v.tokens).toEqual(ar.tokens);
    expect(v.stats.tokensPerPass).toBeGreaterThan(3); // the assistant is the target: every draft accepted
    await expectCode(
      Promise.resolve().then(() => plan.create({ assistant: new FakeModel({ heads: 1, vocabSize: 8 }), target })),
      'DYNAMO_VOCAB_MISMATCH',
    );
  });
});
