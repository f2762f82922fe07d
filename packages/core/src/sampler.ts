import type { StepView } from './stepView.js';

/**
 * Decides which tokens to emit at one step. A plain object is enough:
 *
 * ```ts
 * const greedy: Sampler = {
 *   name: 'greedy',
 *   sample: (view) => [argmax(view.logits(0))],
 * };
 * ```
 */
export interface Sampler {
  readonly name: string;
  /**
   * How many heads the sampler can use (default 1). Generation runs the multi-head graph only
   * when this is > 1, and passes `min(model heads, this)` as `view.heads`.
   */
  readonly heads?: number;
  /**
   * Returns the tokens to emit now: 1 ≤ length ≤ view.maxTokens, each in [0, vocabSize).
   * The returned array may be a reused buffer: generation copies it before the next call.
   */
  sample(view: StepView): ArrayLike<number>;
  /** Called when a generation starts, to clear per-generation state. */
  reset?(): void;
}

/**
 * A one-token sampler that can also report the distribution it draws from — what lossless
 * speculative verification needs. `sample(view)` must draw one token from exactly this
 * distribution.
 */
export interface DistributionSampler extends Sampler {
  /** Writes the next-token probabilities (head 0, length vocabSize, summing to 1) into `out`. */
  distribution(view: StepView, out: Float32Array): void;
}

/** True when `sampler` has a `distribution(view, out)` method. */
export function isDistributionSampler(sampler: Sampler): sampler is DistributionSampler {
  return typeof (sampler as Partial<DistributionSampler>).distribution === 'function';
}

/**
 * A sampler that emits a chain of tokens per pass, one at a time, each drawn after the ones
 * before it: `sample(view)` draws the pass's first token from head 0 (the base model, exactly as
 * a one-token sampler would); then generation asks the model's {@link DraftHead} for the next
 * token's logits — conditioned on the tokens drawn so far — and calls `extend`, which returns the
 * next token or -1 to end the pass (back off: the next pass's base head decides the next token).
 * Generation runs it in `'dynamo'` mode on a model with a draft head (`MultiTokenModel.draftHead`).
 */
export interface ChainSampler extends Sampler {
  /** The most tokens one pass may emit (first token included), ≥ 1. */
  readonly chainLength: number;
  /**
   * `view.logits(0)` is the draft head's logits for the next token (processors applied with the
   * history as it is now: it ends with the `depth` tokens this pass emitted so far, depth ≥ 1).
   * Returns the token to emit next, or -1 to end the pass. It must not use `view.rng` when it
   * returns -1 without drawing (so a chain that never extends draws exactly like `ar`).
   */
  extend(view: StepView, depth: number): number;
}

/** True when `sampler` has an `extend(view, depth)` method and a `chainLength`. */
export function isChainSampler(sampler: Sampler): sampler is ChainSampler {
  const s = sampler as Partial<ChainSampler>;
  return typeof s.extend === 'function' && typeof s.chainLength === 'number';
}
