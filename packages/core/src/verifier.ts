import type { StepView } from './stepView.js';

/** The drafted candidates for one position, in the order the drafter proposed them. */
export interface DraftCandidates {
  /** Number of candidates (0: nothing was drafted here; the verifier draws the base's own token). */
  readonly count: number;
  /** The token of candidate i. */
  token(i: number): number;
  /**
   * The distribution candidate i was drawn from (length vocabSize), given the candidates before it;
   * undefined for a deterministic candidate (a point mass on its token).
   */
  proposal(i: number): ArrayLike<number> | undefined;
}

/**
 * Lossless verification, one position at a time: the base head decides whether one of the drafted
 * candidates is its next token. Generation walks a draft (a chain or a tree) with it, position
 * after position, as long as a candidate is accepted.
 *
 * Contract: whatever the candidates, the token that ends up emitted at this position (the accepted
 * candidate's, or the one written to `out[0]`) has exactly the distribution of the base model's own
 * next token under the generation's sampler — so verified decoding is lossless.
 */
export interface Verifier {
  readonly name: string;
  /**
   * `view` shows the base head (head 0) after everything accepted so far (its `history` ends with
   * the accepted prefix). Returns the index of the accepted candidate, or -1 after writing the
   * base model's own token to `out[0]` (the replacement of the rejected candidates, or simply the
   * next token when there are none).
   */
  verify(view: StepView, candidates: DraftCandidates, out: Int32Array): number;
}
