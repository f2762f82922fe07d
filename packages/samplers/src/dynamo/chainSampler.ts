import { type ChainSampler, checkInteger, checkNumber, type DistributionSampler, type StepView } from '@dynamojs/core';
import { multinomial } from '../classic/multinomial.js';
import { MultinomialSampler, type SamplingOptions } from '../classic/multinomialSampler.js';
import type { ProcessorPipeline } from '../classic/processorPipeline.js';
import { ensureFloat32 } from '../util/scratch.js';

export interface DynamoChainOptions extends SamplingOptions {
  /**
   * The most tokens one pass may emit, the base head's token included: integer in [1, 16],
   * default 4. 1 is plain `ar` sampling (as is `minDraftProbability: 1`).
   */
  readonly chainLength?: number;
  /**
   * The back-off threshold, in [0, 1], default {@link DEFAULT_MIN_DRAFT_PROBABILITY}: the pass emits
   * one more token only when the draft head's most likely next token has at least this probability
   * (after the same processors, temperature and top-k as the base head's); otherwise it stops and
   * the next pass's base head decides. 1 never drafts (plain `ar` sampling; the draft head is not
   * run); 0 always emits `chainLength` tokens. The choice to continue is made before the draw and does
   * not depend on it, so each emitted token is drawn either from the base model exactly or from
   * the draft head where it is confident.
   */
  readonly minDraftProbability?: number;
  /**
   * The draft head's logits are divided by `temperature × draftTemperatureRatio` instead of
   * `temperature`: > 0, default 1. A head trained to match the base's distribution (forward KL) is
   * flatter than the base where it is unsure, so its draws are more surprising to the base than the
   * base's own; a ratio below 1 sharpens it back (model-tiny recommends 0.89, docs/dynamo-sampler.md).
   */
  readonly draftTemperatureRatio?: number;
}

/** Calibrated on the model-tiny eval (docs/dynamo-sampler.md, "Chains from a draft head"). */
export const DEFAULT_MIN_DRAFT_PROBABILITY = 0.2;
export const DEFAULT_CHAIN_LENGTH = 4;

/**
 * DynaMo with a sequential draft head: dynamic multi-token sampling where the joint of the emitted
 * tokens is estimated by chaining conditionals — p(x1) from the base head, then q(x2 | x1),
 * q(x3 | x1, x2), … from the model's draft head, each fed the token drawn before it — instead of
 * the DynaMo heads' independent marginals corrected by co-occurrence weights. The adaptive part is
 * the back-off: each further token is emitted only while the draft head is confident
 * (`minDraftProbability`), up to `chainLength` tokens per pass.
 *
 * `sample` draws the first token exactly as `sampling(options)` does (same processors, same
 * RNG use), so with `chainLength: 1` the tokens equal `ar`'s for the same seed. Generation runs it
 * in `'dynamo'` mode on a model with a draft head (`MultiTokenModel.draftHead`).
 */
export class DynamoChainSampler implements ChainSampler, DistributionSampler {
  readonly name: string;
  readonly heads = 1;
  readonly chainLength: number;
  readonly minDraftProbability: number;
  readonly draftTemperatureRatio: number;
  private readonly inner: MultinomialSampler;
  /** The draft head's draws: the same processors at temperature × draftTemperatureRatio. */
  private readonly draft: MultinomialSampler;
  private scratch: Float32Array | undefined;

  constructor(options: DynamoChainOptions = {}) {
    const { chainLength, minDraftProbability, draftTemperatureRatio, ...sampling } = options;
    const length =
      chainLength === undefined ? DEFAULT_CHAIN_LENGTH : checkInteger('chainLength', chainLength, { min: 1, max: 16 });
    this.minDraftProbability =
      minDraftProbability === undefined
        ? DEFAULT_MIN_DRAFT_PROBABILITY
        : checkNumber('minDraftProbability', minDraftProbability, { min: 0, max: 1 });
    // a threshold of 1 never drafts: one token per pass, and no draft-head step to pay for
    this.chainLength = this.minDraftProbability >= 1 ? 1 : length;
    this.draftTemperatureRatio =
      draftTemperatureRatio === undefined
        ? 1
        : checkNumber('draftTemperatureRatio', draftTemperatureRatio, { min: 0, minExclusive: true, max: 10 });
    this.inner = new MultinomialSampler(sampling);
    this.draft =
      this.draftTemperatureRatio === 1
        ? this.inner
        : new MultinomialSampler({
            ...sampling,
            temperature: (sampling.temperature ?? 1) * this.draftTemperatureRatio,
          });
    this.name =
      `dynamo-chain(length ${this.chainLength}, min draft p ${this.minDraftProbability}` +
      `${this.draftTemperatureRatio === 1 ? '' : `, draft temperature x${this.draftTemperatureRatio}`}; ${this.inner.name})`;
  }

  /** The processors applied to every head's logits (base and draft). */
  get processors(): ProcessorPipeline {
    return this.inner.processors;
  }

  sample(view: StepView): Int32Array {
    return this.inner.sample(view);
  }

  distribution(view: StepView, out: Float32Array): void {
    this.inner.distribution(view, out);
  }

  extend(view: StepView, _depth: number): number {
    const buf = (this.scratch = ensureFloat32(this.scratch, view.vocabSize));
    this.draft.distribution(view, buf);
    let max = 0;
    for (let i = 0; i < buf.length; i++) if ((buf[i] as number) > max) max = buf[i] as number;
    if (max < this.minDraftProbability) return -1;
    return multinomial(buf, view.rng);
  }
}

/**
 * `dynamoChain({ temperature: 0.7, topK: 50, minDraftProbability: 0.2, draftTemperatureRatio: 0.89 })`: the DynaMo sampler for
 * models with a sequential draft head. Options are validated now (DYNAMO_INVALID_OPTION).
 */
export function dynamoChain(options?: DynamoChainOptions): DynamoChainSampler {
  return new DynamoChainSampler(options);
}
