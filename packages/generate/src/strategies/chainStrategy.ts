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
import { TokenBuffer } from '../buffers.js';
import { checkEmission, checkToken } from './checks.js';
import { emitForcedRun, isForced } from './forcedRun.js';
import { type DecodeStrategy, type Pass, prepareView, type StrategyContext } from './strategy.js';

/**
 * `'dynamo'` with a {@link ChainSampler} and a model with a draft head: each pass runs the base
 * graph only (the extra heads are not computed); the sampler draws the first token from the base
 * head at the last position, then the draft head continues from the base's final hidden state one
 * drawn token at a time — each step sees the token drawn before it — and the sampler emits each
 * next token or ends the pass (`extend` returns -1). The emitted chain is the next pass's input,
 * so the base model reads every emitted token once, as in `ar`.
 *
 * With a constraint: both heads are masked by the grammar after the tokens drawn so far (the view
 * masks head 0, which is the draft head's row during `extend`), so every emitted token is
 * grammar-valid; the tokens the grammar forces are emitted without the sampler — inside the chain
 * (fed to the draft head only when a drawn token follows them) and after it (a forced run).
 */
export class ChainStrategy implements DecodeStrategy {
  private readonly ctx: StrategyContext;
  private readonly sampler: ChainSampler;
  /** The draft head's roll-out: its hidden state, and its logits as a one-row result for the view. */
  private readonly rollout: DraftHeadRollout;
  private readonly forward: ForwardOptions;
  private readonly pending: TokenBuffer;
  private readonly append = (token: number): void => this.pending.push(token);
  /** Time of the draft-head steps (`rollout.steps`) plus the sampler's `extend`. */
  private draftMs = 0;

  constructor(ctx: StrategyContext, sampler: ChainSampler, head: DraftHead) {
    this.ctx = ctx;
    this.sampler = sampler;
    this.rollout = new DraftHeadRollout(head);
    this.forward = { positions: 'last', headPositions: 'none', signal: ctx.opts.signal };
    this.pending = new TokenBuffer(Math.max(8, sampler.chainLength));
  }

  nextPass(prefill: boolean): Pass {
    const tokens = prefill ? this.ctx.opts.promptIds : this.pending.view();
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
    this.pending.truncate(0);
    if (isForced(ctx)) {
      emitForcedRun(ctx, this.append);
      return;
    }
    const first = sampler.sample(prepareView(ctx, view, result, undefined, 1));
    checkEmission(sampler.name, first, 1, vocabSize);
    let token = first[0] as number;
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
    const pending = this.pending;
    pending.push(token);
    if (!ctx.output.emit(token)) return;
    const tracker = ctx.constraint;
    // The chain goes on through the tokens the grammar forces (they count as emitted, not as drawn):
    // they are fed to the draft head only when a drawn token follows them.
    let drawn = 1;
    let fed = 0;
    while (room > 1 && drawn < sampler.chainLength && !ctx.output.finished) {
      if (tracker !== undefined && isForced(ctx)) {
        const forced = tracker.forcedToken();
        tracker.forcedTokens++;
        pending.push(forced);
        if (!ctx.output.emit(forced)) return;
        continue;
      }
      const start = now();
      while (fed < pending.length) await rollout.step(pending.data[fed++] as number, signal);
      view.at(rollout.result, undefined);
      view.maxTokens = 1;
      const next = sampler.extend(view, pending.length);
      this.draftMs += now() - start;
      if (next === -1) break;
      checkToken(`Sampler "${sampler.name}" extended with`, next, pending.length, vocabSize);
      if (tracker !== undefined && !tracker.isAllowed(next)) break;
      token = next;
      drawn++;
      pending.push(token);
      if (!ctx.output.emit(token)) return;
      if (signal?.aborted) return;
    }
    emitForcedRun(ctx, this.append);
  }
}
