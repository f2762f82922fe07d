import type { ForwardOptions, ForwardResult, KVCache, StepView } from '@dynamojs/core';
import type { ConstraintTracker } from '../constraintTracker.js';
import type { Output } from '../output.js';
import type { ResolvedOptions } from '../resolvedOptions.js';
import type { Statistics } from '../statistics.js';
import type { View } from '../stepView.js';

/** What a decode strategy works with: the generation's options, cache, output and views. */
export interface StrategyContext {
  readonly opts: ResolvedOptions;
  readonly cache: KVCache;
  readonly output: Output;
  /** The loop's counters (passes, timings); a strategy keeps its own and reports them. */
  readonly stats: Statistics;
  /**
   * The sampler's view and the drafter's view (both see head 0 only until the strategy sets
   * `heads`: a strategy that reads extra heads sets how many in its constructor).
   */
  readonly view: View;
  readonly draftView: View;
  /** The grammar after the history (`generate({ constraint })`); undefined when unconstrained. */
  readonly constraint?: ConstraintTracker | undefined;
}

/** The chunk of the next forward pass and how to run it. */
export interface Pass {
  readonly tokens: Int32Array;
  readonly options: ForwardOptions;
}

/**
 * One shape of decoding step. The decode loop (Session) is the same for every method: it asks the
 * strategy for the next pass, runs it, and hands the result back; the strategy emits tokens through
 * `ctx.output.emit` and prepares the pass after. A new method is a new strategy behind this
 * contract (see {@link DecodingMethod}), not a branch in the loop.
 */
export interface DecodeStrategy {
  /** The pass to run now (`prefill`: the prompt). */
  nextPass(prefill: boolean): Pass;
  /** Consumes the pass's result: emits tokens, fixes the cache, prepares the next pass. */
  afterPass(result: ForwardResult, prefill: boolean): void | Promise<void>;
  /**
   * The method's own statistics, merged into the generation's {@link GenerationStats} at the end
   * (e.g. `acceptance` for `verified`, `draftHead` for the draft-head chain). Keys must not clash
   * with the loop's own fields.
   */
  report?(): Readonly<Record<string, unknown>> | undefined;
}

export function stepIndex(ctx: StrategyContext): number {
  return ctx.stats.passes - 1;
}

/**
 * Points `view` at row `index` of `result` (and the extra heads at row `headIndex`, default the
 * same) for the current step, allowing `maxTokens` tokens.
 */
export function prepareView(
  ctx: StrategyContext,
  view: View,
  result: ForwardResult,
  index: number | undefined,
  maxTokens: number,
  headIndex: number | undefined = index,
): StepView {
  view.at(result, index, headIndex);
  view.step = stepIndex(ctx);
  view.maxTokens = maxTokens;
  return view;
}
