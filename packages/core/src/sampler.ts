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
