import type { ForwardOptions, ForwardResult } from '@dynamojs/core';
import { TokenBuffer } from '../buffers.js';
import { checkEmission } from './checks.js';
import { emitForcedRun, isForced } from './forcedRun.js';
import { type DecodeStrategy, type Pass, prepareView, type StrategyContext } from './strategy.js';

/**
 * `'ar'` and `'dynamo'` with the extra heads: one sampler call at the last position of every pass; the tokens it emits
 * (one in `'ar'`, up to `view.heads` in `'dynamo'`) are the next pass's chunk. The extra heads are
 * computed only when the sampler reads more than one head.
 *
 * With a constraint: head 0 is masked by the grammar; the emitted cells stop at the first token the
 * grammar rejects (so every emitted cell is grammar-valid), and the tokens the grammar then forces
 * join the chunk without a pass of their own (forced runs; a forced position skips the sampler).
 */
export class SamplingStrategy implements DecodeStrategy {
  private readonly ctx: StrategyContext;
  private readonly forward: ForwardOptions;
  /** The chunk to feed next (no allocation per step once it has grown). */
  private readonly pending: TokenBuffer;
  private readonly emitted: Int32Array;
  private readonly append = (token: number): void => this.pending.push(token);

  /** `heads`: how many heads the sampler sees (1: `ar`; the extra heads are then not computed). */
  constructor(ctx: StrategyContext, heads: number) {
    this.ctx = ctx;
    ctx.view.heads = heads;
    this.forward = { positions: 'last', headPositions: heads > 1 ? 'last' : 'none', signal: ctx.opts.signal };
    this.pending = new TokenBuffer(Math.max(8, heads));
    this.emitted = new Int32Array(heads);
  }

  nextPass(prefill: boolean): Pass {
    const tokens = prefill ? this.ctx.opts.promptIds : this.pending.view();
    return { tokens, options: this.forward };
  }

  afterPass(result: ForwardResult): void {
    const { ctx, pending } = this;
    const { sampler, model } = ctx.opts;
    pending.truncate(0);
    if (!isForced(ctx)) {
      const maxTokens = Math.min(ctx.view.heads, ctx.output.room());
      const out = sampler.sample(prepareView(ctx, ctx.view, result, undefined, maxTokens));
      const n = checkEmission(sampler.name, out, maxTokens, model.metadata.vocabSize);
      // Copy first: `out` may be a buffer the sampler reuses, and emitting may run processors.
      const cells = this.emitted;
      for (let i = 0; i < n; i++) cells[i] = out[i] as number;
      const tracker = ctx.constraint;
      for (let i = 0; i < n; i++) {
        const token = cells[i] as number;
        // head 0 was masked; a later cell the grammar rejects ends the emission there
        if (i > 0 && tracker !== undefined && !tracker.isAllowed(token)) break;
        pending.push(token);
        if (!ctx.output.emit(token)) return;
      }
    }
    emitForcedRun(ctx, this.append);
  }
}
