import type { Draft, Drafter, DraftFeedback, ForwardResult, StepView } from '@dynamojs/core';
import {
  type DecodeStrategy,
  type DecodingMethod,
  decodingMethod,
  decodingMethods,
  decodingModes,
  generate,
  type Pass,
  registerDecodingMethod,
  type StrategyContext,
} from '@dynamojs/generate';
import { greedy, topOneDrafter } from '@dynamojs/samplers';
import { describe, expect, it } from 'vitest';
import { expectCode, FakeModel, headsArgmaxSampler } from './fakes.js';

const PROMPT = [1, 2, 3];

/**
 * A plugin method in one object: "echo" re-feeds its whole output each pass (no cache reuse) and
 * emits head 0's argmax — useless, but it shows what a new method touches: nothing but itself.
 */
class EchoStrategy implements DecodeStrategy {
  private passes = 0;
  private readonly forward = { positions: 'last' as const, headPositions: 'none' as const };
  constructor(private readonly ctx: StrategyContext) {}
  nextPass(prefill: boolean): Pass {
    if (prefill) return { tokens: this.ctx.opts.promptIds, options: this.forward };
    const history = this.ctx.output.history.view();
    return { tokens: history.slice(history.length - 1), options: this.forward };
  }
  afterPass(result: ForwardResult): void {
    this.passes++;
    const view = this.ctx.view;
    view.at(result, undefined);
    view.maxTokens = 1;
    const out = this.ctx.opts.sampler.sample(view);
    this.ctx.output.emit(out[0] as number);
  }
  report() {
    return { echo: { passes: this.passes } };
  }
}

const echo: DecodingMethod = {
  name: 'echo',
  mode: 'echo',
  createStrategy: (ctx) => new EchoStrategy(ctx),
};

describe('decoding methods', () => {
  it('the built-ins are registered by name, serving the three modes', () => {
    expect(decodingMethods().map((m) => m.name)).toEqual(['ar', 'dynamo-heads', 'dynamo-chain', 'verified']);
    expect(decodingModes()).toEqual(['ar', 'dynamo', 'verified']);
    expect(decodingMethod('dynamo-chain')?.mode).toBe('dynamo');
  });

  it('a registered method is a new mode of generate(), reports its own statistics, and unregisters', async () => {
    const model = new FakeModel({ avoidEos: true });
    const unregister = registerDecodingMethod(echo);
    try {
      const r = await generate({ model, inputIds: PROMPT, mode: 'echo', sampler: greedy(), maxNewTokens: 6 });
      const ar = await generate({ model, inputIds: PROMPT, sampler: greedy(), maxNewTokens: 6 });
      expect(r.tokens).toEqual(ar.tokens);
      expect(r.stats).toMatchObject({ mode: 'echo', method: 'echo', forwardPasses: 6 });
      expect(r.stats.echo).toEqual({ passes: 6 });
      expect(ar.stats.method).toBe('ar');
      expect(() => registerDecodingMethod(echo)).toThrow(/already registered/);
    } finally {
      unregister();
    }
    await expectCode(generate({ model, inputIds: PROMPT, mode: 'echo' }), 'DYNAMO_INVALID_OPTION', 'mode');
  });

  it('`method` picks a registered method by name; a wrong one or a clashing mode is named', async () => {
    const model = new FakeModel({ avoidEos: true });
    const r = await generate({ model, inputIds: PROMPT, method: 'dynamo-heads', sampler: headsArgmaxSampler() });
    expect(r.stats).toMatchObject({ mode: 'dynamo', method: 'dynamo-heads' });
    await expectCode(generate({ model, inputIds: PROMPT, method: 'nope' }), 'DYNAMO_INVALID_OPTION', 'method');
    await expectCode(
      generate({ model, inputIds: PROMPT, method: 'verified', mode: 'ar' }),
      'DYNAMO_INVALID_OPTION',
      'mode',
    );
    expect(() => registerDecodingMethod({ name: '', mode: 'x', createStrategy: () => ({}) as DecodeStrategy })).toThrow(
      /method.name/,
    );
  });

  it("a drafter's acceptance feedback adds up to the generation's acceptance statistics", async () => {
    const model = new FakeModel({ headAccuracy: 0.7, avoidEos: true });
    const inner = topOneDrafter();
    const feedback: DraftFeedback[] = [];
    const drafter: Drafter = {
      name: 'recording',
      draft: (view: StepView, next: number): Draft | Promise<Draft> => inner.draft(view, next),
      accepted: (f) => feedback.push(f),
    };
    const r = await generate({ model, inputIds: PROMPT, mode: 'verified', drafter, maxNewTokens: 40 });
    const acceptance = r.stats.acceptance;
    expect(acceptance).toBeDefined();
    expect(feedback.length).toBe(acceptance?.passes);
    const accepted = (acceptance?.accepted ?? []).reduce((a, b) => a + b, 0);
    expect(feedback.reduce((s, f) => s + f.accepted, 0)).toBe(accepted);
    expect(feedback.reduce((s, f) => s + f.proposed, 0)).toBe(acceptance?.draftedNodes);
    expect(feedback.every((f) => f.accepted <= f.proposed && !f.tree)).toBe(true);
  });
});
