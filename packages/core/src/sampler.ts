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
