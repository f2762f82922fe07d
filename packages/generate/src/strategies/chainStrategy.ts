import {
  type ChainSampler,
  type DraftHead,
  DynamoError,
  DynamoErrorCode,
  type ForwardOptions,
  type ForwardResult,
  now,
} from '@dynamojs/core';
import { DraftHeadRollout } from '@dynamojs/samplers';
import { checkEmission, checkToken } from './checks.js';
import { type DecodeStrategy, type Pass, prepareView, type StrategyContext } from './strategy.js';

/**
 * `'dynamo'` with a {@link ChainSampler} and a model with a draft head: each pass runs the base
 * graph only (the extra heads are not computed); the sampler draws the first token from the base
 * head at the last position, then the draft head continues from the base's final hidden state one
 * drawn token at a time — each step sees the token drawn before it — and the sampler emits each
 * next token or ends the pass (`extend` returns -1). The emitted chain is the next pass's input,
 * so the base model reads every emitted token once, as in `ar`.
 */
export class ChainStrategy implements DecodeStrategy {
  private readonly ctx: StrategyContext;
  private readonly sampler: ChainSampler;
  /** The draft head's roll-out: its hidden state, and its logits as a one-row result for the view. */
  private readonly rollout: DraftHeadRollout;
  private readonly forward: ForwardOptions;
  private readonly pending: Int32Array;
  private readonly pendingViews: Int32Array[] = [];
  private pendingLength = 0;
  /** Time of the draft-head steps (`rollout.steps`) plus the sampler's `extend`. */
  private draftMs = 0;

  constructor(ctx: StrategyContext, sampler: ChainSampler, head: DraftHead) {
    this.ctx = ctx;
    this.sampler = sampler;
    this.rollout = new DraftHeadRollout(head);
    this.forward = { positions: 'last', headPositions: 'none', signal: ctx.opts.signal };
    const n = sampler.chainLength;
    this.pending = new Int32Array(n);
    for (let i = 0; i <= n; i++) this.pendingViews.push(this.pending.subarray(0, i));
  }

  nextPass(prefill: boolean): Pass {
    const tokens = prefill ? this.ctx.opts.promptIds : (this.pendingViews[this.pendingLength] as Int32Array);
    return { tokens, options: this.forward };
  }

  report(): { draftHead: { steps: number; ms: number } } | undefined {
    const steps = this.rollout.steps;
    return steps > 0 ? { draftHead: { steps, ms: this.draftMs } } : undefined;
  }

  async afterPass(result: ForwardResult): Promise<void> {
    const { ctx, sampler, rollout } = this;
    const { model, signal } = ctx.opts;
    const vocabSize = model.metadata.vocabSize;
    const view = ctx.view;
    const first = sampler.sample(prepareView(ctx, view, result, undefined, 1));
    checkEmission(sampler.name, first, 1, vocabSize);
    let token = first[0] as number;
    this.pendingLength = 0;
    const room = Math.min(sampler.chainLength, ctx.output.room());
    // the hidden state is read before emitting: the result's rows stay valid, but copy anyway so
    // the draft head may reuse its buffers
    const hiddenOf = result.hidden;
    if (room > 1) {
      if (hiddenOf === undefined) {
        throw new DynamoError(
          DynamoErrorCode.UNSUPPORTED,
          `The model "${model.metadata.name}" returned no hidden state (ForwardResult.hidden), which its draft head needs.`,
        );
      }
      rollout.start(hiddenOf.call(result));
    }
    this.pending[this.pendingLength++] = token;
    if (!ctx.output.emit(token)) return;
    for (let depth = 1; depth < room; depth++) {
      const start = now();
      await rollout.step(token, signal);
      view.at(rollout.result, undefined);
      view.maxTokens = 1;
      const next = sampler.extend(view, depth);
      this.draftMs += now() - start;
      if (next === -1) break;
      checkToken(`Sampler "${sampler.name}" extended with`, next, depth, vocabSize);
      token = next;
      this.pending[this.pendingLength++] = token;
      if (!ctx.output.emit(token)) return;
      if (signal?.aborted) return;
    }
  }
}
