import { createRng, DynamoErrorCode, type ForwardResult, isDynamoError, type KVCache, now } from '@dynamojs/core';
import { ConstraintTracker } from './constraintTracker.js';
import { Output } from './output.js';
import type { ResolvedOptions } from './resolvedOptions.js';
import { Statistics } from './statistics.js';
import { View } from './stepView.js';
import type { DecodeStrategy, StrategyContext } from './strategies/strategy.js';
import type { GenerateResult } from './types.js';

/**
 * One generation — the decode loop, the same for every method: run the pass the method's strategy asks
 * for, hand it the result, record the statistics, stop on abort or when the output says so. Owns
 * the KV cache (freed as soon as the generation ends, however it ends).
 */
export class Session {
  readonly opts: ResolvedOptions;
  readonly output: Output;
  private readonly stats = new Statistics();
  private readonly cache: KVCache;
  private readonly strategy: DecodeStrategy;
  private readonly startTime: number;
  private readonly constraint: ConstraintTracker | undefined;

  constructor(opts: ResolvedOptions, startTime = now()) {
    this.opts = opts;
    this.startTime = startTime;
    const meta = opts.model.metadata;
    const rng = createRng(opts.seed);
    // The drafter has its own stream, so the sampler's draws — and so the tokens — match 'ar'.
    const draftRng = createRng((rng.seed ^ 0x5bd1e995) >>> 0);
    let view: View | undefined;
    let draftView: View | undefined;
    const constraint =
      opts.constraint === undefined ? undefined : new ConstraintTracker(opts.constraint, meta.vocabSize, opts.eos);
    this.constraint = constraint;
    this.output = new Output(
      opts,
      () => {
        view?.invalidate();
        draftView?.invalidate();
      },
      () => this.release(),
      constraint,
    );
    const history = this.output.history;
    const promptLength = opts.promptIds.length;
    view = new View(meta.vocabSize, promptLength, rng, opts.signal, history, opts.processors, constraint, true);
    draftView = new View(meta.vocabSize, promptLength, draftRng, opts.signal, history, opts.processors, constraint);
    opts.sampler.reset?.();
    opts.drafter.reset?.();
    this.cache = opts.model.createCache();
    const ctx: StrategyContext = {
      opts,
      cache: this.cache,
      output: this.output,
      stats: this.stats,
      view,
      draftView,
      constraint,
    };
    this.strategy = opts.method.createStrategy(ctx);
  }

  get finished(): boolean {
    return this.output.finished;
  }

  /** Tokens emitted by the last step. */
  get stepTokens(): Int32Array {
    return this.output.stepTokens.view();
  }

  /** Text released by the last step (streaming). */
  get stepText(): string {
    return this.output.stepText;
  }

  set streaming(value: boolean) {
    this.output.streaming = value;
  }

  /**
   * Runs one forward pass and emits its tokens (`stepTokens`, `stepText`). Returns false when the
   * generation is over.
   */
  async step(): Promise<boolean> {
    if (this.output.finished) return false;
    this.output.beginStep();
    const more = await this.runPass();
    this.output.releaseText();
    return more;
  }

  private async runPass(): Promise<boolean> {
    const { output, stats, opts } = this;
    if (opts.signal?.aborted) {
      output.finish('aborted');
      return false;
    }
    const prefill = stats.passes === 0;
    const start = now();
    const pass = this.strategy.nextPass(prefill);
    let result: ForwardResult;
    try {
      result = await opts.model.forward(pass.tokens, this.cache, pass.options);
    } catch (error) {
      if (opts.signal?.aborted || isDynamoError(error, DynamoErrorCode.ABORTED)) {
        output.finish('aborted');
        return false;
      }
      this.release();
      throw error;
    }
    const forwardDone = now();
    stats.passes++;
    try {
      await this.strategy.afterPass(result, prefill);
    } catch (error) {
      if (opts.signal?.aborted || isDynamoError(error, DynamoErrorCode.ABORTED)) {
        output.finish('aborted');
        return false;
      }
      this.release();
      throw error;
    }
    stats.recordPass(prefill, start, forwardDone, now(), output.stepTokens.length);
    if (!output.finished && opts.signal?.aborted) output.finish('aborted');
    return !output.finished;
  }

  private release(): void {
    if (!this.cache.disposed) this.cache.dispose();
    this.constraint?.dispose();
  }

  /** Aborts from outside (stream consumer gave up): frees the cache. */
  cancel(): void {
    this.output.finish('aborted');
    this.output.releaseText();
  }

  /** The result; call once finished. */
  result(): GenerateResult {
    const { output, opts } = this;
    const reason = output.finishReason ?? 'aborted';
    const tokens = output.tokens();
    const text = output.finalTextOf(tokens);
    const stats = this.stats.toStats(
      opts.mode,
      opts.method.name,
      opts.model.metadata.device,
      output.promptLength,
      output.emitted,
      now() - this.startTime,
      this.constraint === undefined
        ? this.strategy.report?.()
        : { ...this.strategy.report?.(), constraint: this.constraint.report() },
    );
    return {
      text,
      tokens,
      promptIds: Array.from(opts.promptIds),
      steps: this.stats.steps.toArray(),
      finishReason: reason,
      aborted: reason === 'aborted',
      ...(output.stopString !== undefined && { stopString: output.stopString }),
      stats,
    };
  }
}
