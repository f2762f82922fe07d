import {
  type DistributionSampler,
  type DraftCandidates,
  DynamoError,
  DynamoErrorCode,
  isDistributionSampler,
  type Sampler,
  type StepView,
  type Verifier,
} from '@dynamojs/core';
import { ensureFloat32 } from '../util/scratch.js';
import { RejectionSampler } from './rejectionSampling.js';

/**
 * Speculative-sampling verification of one position's candidates (a chain has one candidate per
 * position, a tree several): the target p is the sampler's own distribution
 * (`sampler.distribution(view, p)`), and the candidates are tried in order by recursive rejection
 * sampling ({@link RejectionSampler}). Lossless in distribution; with stochastic drafts it accepts
 * more often than {@link matchVerifier}. Needs a {@link DistributionSampler}.
 */
export class SpeculativeVerifier implements Verifier {
  readonly name: string;
  readonly sampler: DistributionSampler;
  private readonly rejection = new RejectionSampler();
  private p: Float32Array | undefined;

  constructor(sampler: Sampler) {
    if (!isDistributionSampler(sampler)) {
      throw new DynamoError(
        DynamoErrorCode.INVALID_OPTION,
        `Speculative verification needs a sampler with distribution(view, out); "${String(sampler?.name)}" has none (use match verification).`,
        { details: { option: 'sampler', actual: sampler?.name } },
      );
    }
    this.sampler = sampler;
    this.name = `speculative(${sampler.name})`;
  }

  verify(view: StepView, candidates: DraftCandidates, out: Int32Array): number {
    const p = (this.p = ensureFloat32(this.p, view.vocabSize));
    this.sampler.distribution(view, p);
    return this.rejection.run(p, candidates, view.rng, out);
  }
}

/** A {@link SpeculativeVerifier} over a distribution sampler (e.g. `sampling({ temperature: 0.7, topK: 50 })`). */
export function speculativeVerifier(sampler: Sampler): SpeculativeVerifier {
  return new SpeculativeVerifier(sampler);
}
