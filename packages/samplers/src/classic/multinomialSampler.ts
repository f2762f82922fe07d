import { type DistributionSampler, DynamoError, DynamoErrorCode, type StepView } from '@dynamojs/core';
import { ensureFloat32 } from '../util/scratch.js';
import { checkLogits } from './checkLogits.js';
import { type ClassicProcessorOptions, classicProcessors } from './classicProcessors.js';
import { multinomial } from './multinomial.js';
import { MutableProcessorContext, type ProcessorPipeline } from './processorPipeline.js';
import { softmax } from './softmax.js';

export interface SamplingOptions extends ClassicProcessorOptions {
  /** Check the raw logits for NaN/Inf each step (DYNAMO_INVALID_LOGITS). Default true. */
  readonly check?: boolean;
}

/**
 * Multinomial sampling as a 1-token core `Sampler`: head 0's logits are copied to a scratch
 * buffer, run through the classic processors (see `classicProcessors` for the order), turned into
 * probabilities and drawn from with `view.rng` (so a seeded generation is reproducible).
 * It is a `DistributionSampler`: `distribution(view, out)` writes exactly the probabilities
 * `sample` draws from (what speculative verification needs).
 * No allocation per step. Every token masked → DYNAMO_SAMPLER, never a silent wrong token.
 */
export class MultinomialSampler implements DistributionSampler {
  readonly name: string;
  readonly heads = 1;
  /** The processors applied to head 0 (reuse them for `speculativeVerify` to stay lossless). */
  readonly processors: ProcessorPipeline;
  private readonly check: boolean;
  private readonly out = new Int32Array(1);
  private readonly context = new MutableProcessorContext();
  private scratch: Float32Array | undefined;

  constructor(options: SamplingOptions = {}) {
    this.processors = classicProcessors(options);
    this.check = options.check ?? true;
    this.name = `sampling(${this.processors.processors.map((p) => p.name).join(', ')})`;
  }

  sample(view: StepView): Int32Array {
    const buf = (this.scratch = ensureFloat32(this.scratch, view.vocabSize));
    this.distribution(view, buf);
    this.out[0] = multinomial(buf, view.rng);
    return this.out;
  }

  /** The probabilities `sample` draws from: processed head 0, softmax (length vocabSize). */
  distribution(view: StepView, out: Float32Array): void {
    const raw = view.logits(0);
    if (this.check) checkLogits(raw, 0, view.vocabSize);
    if (out.length !== raw.length) {
      throw new DynamoError(
        DynamoErrorCode.INVALID_OPTION,
        `distribution(): the output has length ${out.length}, the logits ${raw.length}.`,
        { details: { option: 'out', expected: raw.length, actual: out.length } },
      );
    }
    softmax(this.processors.apply(raw, this.context.set(0, view.history), out), out);
  }
}

/**
 * Classic sampling: `sampling({ temperature: 0.7, topK: 50, topP: 0.9, repetitionPenalty: 1.1 })`.
 * Options are validated now (DYNAMO_INVALID_OPTION), not at the first step.
 */
export function sampling(options?: SamplingOptions): MultinomialSampler {
  return new MultinomialSampler(options);
}
