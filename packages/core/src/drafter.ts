import type { StepView } from './stepView.js';

/**
 * Drafts the tokens after `next` for lossless (verified) decoding. `next` is the token the base
 * head produced exactly; drafts are checked by the base head in the next forward pass.
 */
export interface Drafter {
  readonly name: string;
  draft(view: StepView, next: number): Draft;
}

export interface Draft {
  /** Drafted tokens following `next` (0 ≤ length ≤ view.heads - 1). */
  readonly tokens: ArrayLike<number>;
  /**
   * For sampling verification: the probability of drafted token i under the distribution it was
   * drawn from, and that distribution itself (length vocabSize). Omit both for deterministic drafts
   * (argmax): the drafting distribution is then a point mass.
   */
  readonly probability?: (i: number) => number;
  readonly distribution?: (i: number) => ArrayLike<number>;
}
