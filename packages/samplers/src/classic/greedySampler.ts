import type { DistributionSampler, LogitsProcessor, StepView } from '@dynamojs/core';
import { ensureFloat32 } from '../util/scratch.js';
import { argmax } from './argmax.js';
import { checkLogits } from './checkLogits.js';
import { classicProcessors } from './classicProcessors.js';
import { MutableProcessorContext, type ProcessorPipeline } from './processorPipeline.js';

export interface GreedyOptions {
  /** > 0; default 1 (off). */
  readonly repetitionPenalty?: number;
  /** Integer ≥ 0; default 0 (off). */
  readonly noRepeatNgramSize?: number;
  /** Extra processors, run before the penalties. */
  readonly processors?: readonly LogitsProcessor[];
  /** Check the raw logits for NaN/Inf each step (DYNAMO_INVALID_LOGITS). Default true. */
  readonly check?: boolean;
}

/**
 * Greedy decoding as a 1-token core `Sampler`: the argmax of head 0 after the (optional)
 * processors, ties to the lowest id. Every token masked → DYNAMO_SAMPLER. No allocation per step.
 * Its `distribution` is the point mass on that token.
 */
export class GreedySampler implements DistributionSampler {
  readonly name = 'greedy';
  readonly heads = 1;
  /** The processors applied to head 0 before the argmax (reuse them to verify drafts losslessly). */
  readonly processors: ProcessorPipeline;
  private readonly check: boolean;
  private readonly out = new Int32Array(1);
  private readonly context = new MutableProcessorContext();
  private scratch: Float32Array | undefined;

  constructor(options: GreedyOptions = {}) {
    this.processors = classicProcessors({
      repetitionPenalty: options.repetitionPenalty,
      noRepeatNgramSize: options.noRepeatNgramSize,
      processors: options.processors,
    });
    this.check = options.check ?? true;
  }

  /** The point mass on the token `sample` returns. */
  distribution(view: StepView, out: Float32Array): void {
    const t = (this.sample(view)[0] as number) | 0;
    out.fill(0);
    out[t] = 1;
  }

  sample(view: StepView): Int32Array {
    const raw = view.logits(0);
    if (this.check) checkLogits(raw, 0, view.vocabSize);
    if (this.processors.length === 0) {
      this.out[0] = argmax(raw);
    } else {
      const buf = (this.scratch = ensureFloat32(this.scratch, raw.length));
      this.out[0] = argmax(this.processors.apply(raw, this.context.set(0, view.history), buf));
    }
    return this.out;
  }
}

/** Greedy decoding (argmax of the base head), optionally after penalties. */
export function greedy(options?: GreedyOptions): GreedySampler {
  return new GreedySampler(options);
}
