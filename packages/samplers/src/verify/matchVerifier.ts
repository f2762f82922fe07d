import {
  type DraftCandidates,
  DynamoError,
  DynamoErrorCode,
  type Sampler,
  type StepView,
  type Verifier,
} from '@dynamojs/core';

/**
 * Verification by exact match: the sampler draws the base model's own token (one call of
 * `sampler.sample`, so one draw of `view.rng` for a sampling sampler, none for greedy), and the
 * first candidate with that token is accepted; otherwise that token is emitted instead.
 *
 * Lossless for any one-token sampler, and with the same seed it reproduces the sampler's own
 * autoregressive tokens exactly (`'ar'` with the same seed). With deterministic candidates it
 * accepts as often as {@link speculativeVerifier}; with stochastic ones less often.
 */
export class MatchVerifier implements Verifier {
  readonly name: string;
  readonly sampler: Sampler;

  constructor(sampler: Sampler) {
    if (typeof sampler?.sample !== 'function') {
      throw new DynamoError(
        DynamoErrorCode.INVALID_OPTION,
        'matchVerifier needs a Sampler (an object with sample(view)).',
        {
          details: { option: 'sampler' },
        },
      );
    }
    this.sampler = sampler;
    this.name = `match(${sampler.name})`;
  }

  verify(view: StepView, candidates: DraftCandidates, out: Int32Array): number {
    const tokens = this.sampler.sample(view);
    const t = tokens?.[0];
    if (tokens === null || typeof tokens !== 'object' || tokens.length < 1 || !Number.isInteger(t)) {
      throw new DynamoError(
        DynamoErrorCode.SAMPLER,
        `Sampler "${this.sampler.name}" returned ${String(tokens)} instead of a token while verifying.`,
        { details: { actual: tokens } },
      );
    }
    for (let i = 0; i < candidates.count; i++) if (candidates.token(i) === t) return i;
    out[0] = t as number;
    return -1;
  }
}

/** A {@link MatchVerifier} over `sampler` (greedy verification: `matchVerifier(greedy())`). */
export function matchVerifier(sampler: Sampler): MatchVerifier {
  return new MatchVerifier(sampler);
}
