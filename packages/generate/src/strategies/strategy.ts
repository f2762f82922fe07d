import type { ForwardOptions, ForwardResult, KVCache, StepView } from '@dynamojs/core';
import type { ResolvedOptions } from '../options.js';
import type { Output } from '../output.js';
import type { Statistics } from '../statistics.js';
import type { View } from '../stepView.js';

/** What a decode strategy works with: the generation's options, cache, output and views. */
export interface StrategyContext {
  readonly opts: ResolvedOptions;
  readonly cache: KVCache;
  readonly output: Output;
  readonly stats: Statistics;
  /** The sampler's view (heads = the sampler's), and the drafter's (every model head). */
  readonly view: View;
  readonly draftView: View;
}

/** The chunk of the next forward pass and how to run it. */
export interface Pass {
  readonly tokens: Int32Array;
  readonly options: ForwardOptions;
}

/**
 * One shape of decoding step. The decode loop (Session) is the same for every mode: it asks the
 * strategy for the next pass, runs it, and hands the result back; the strategy emits tokens through
 * `ctx.output.emit` and prepares the pass after. `ar` and `dynamo` sample at the last position;
 * `verified` checks a drafted chain or tree; `dynamo` with a chain sampler continues the base
 * token by token with the model's draft head. A new mode is a new strategy, not a branch in the loop.
 */
export interface DecodeStrategy {
  /** The pass to run now (`prefill`: the prompt). */
  nextPass(prefill: boolean): Pass;
  /** Consumes the pass's result: emits tokens, fixes the cache, prepares the next pass. */
  afterPass(result: ForwardResult, prefill: boolean): void | Promise<void>;
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
