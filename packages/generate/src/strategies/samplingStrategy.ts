import type { ForwardOptions, ForwardResult } from '@dynamojs/core';
import { checkEmission } from './checks.js';
import { type DecodeStrategy, type Pass, prepareView, type StrategyContext } from './strategy.js';

/**
 * `'ar'` and `'dynamo'` with the extra heads: one sampler call at the last position of every pass; the tokens it emits
 * (one in `'ar'`, up to `view.heads` in `'dynamo'`) are the next pass's chunk. The extra heads are
 * computed only when the sampler reads more than one head.
 */
export class SamplingStrategy implements DecodeStrategy {
  private readonly ctx: StrategyContext;
  private readonly forward: ForwardOptions;
  /** The chunk to feed next and its views per length (no allocation per step). */
  private readonly pending: Int32Array;
  private readonly pendingViews: Int32Array[] = [];
  private pendingLength = 0;

  /** `heads`: how many heads the sampler sees (1: `ar`; the extra heads are then not computed). */
  constructor(ctx: StrategyContext, heads: number) {
    this.ctx = ctx;
    ctx.view.heads = heads;
    this.forward = { positions: 'last', headPositions: heads > 1 ? 'last' : 'none', signal: ctx.opts.signal };
    this.pending = new Int32Array(heads);
    for (let n = 0; n <= heads; n++) this.pendingViews.push(this.pending.subarray(0, n));
  }

  nextPass(prefill: boolean): Pass {
    const tokens = prefill ? this.ctx.opts.promptIds : (this.pendingViews[this.pendingLength] as Int32Array);
    return { tokens, options: this.forward };
  }

  afterPass(result: ForwardResult): void {
    const { ctx } = this;
    const { sampler, model } = ctx.opts;
    const maxTokens = Math.min(ctx.view.heads, ctx.output.room());
    const out = sampler.sample(prepareView(ctx, ctx.view, result, undefined, maxTokens));
    const n = checkEmission(sampler.name, out, maxTokens, model.metadata.vocabSize);
    // Copy first: `out` may be a buffer the sampler reuses, and emitting may run processors.
    const pending = this.pending;
    for (let i = 0; i < n; i++) pending[i] = out[i] as number;
    this.pendingLength = 0;
    for (let i = 0; i < n; i++) {
      if (!ctx.output.emit(pending[i] as number)) break;
      this.pendingLength++;
    }
  }
}
