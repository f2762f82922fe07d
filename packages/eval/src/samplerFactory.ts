import { checkEnum, checkInteger, checkNumber, type Drafter, type Sampler } from '@dynamojs/core';
import { type CoOccurrenceTables, dynamo, sampling } from '@dynamojs/samplers';
import type { SweepConfiguration } from './sweepConfig.js';

/** Sampler settings shared by every configuration, so `ar` and `dynamo` compare like for like. */
export interface EvalSamplerSettings {
  /** Every head (and the ar sampler). Default 0.7. */
  readonly temperature: number;
  /** Tokens kept per head (and by the ar sampler). Default 50. */
  readonly topK: number;
  /** DynaMo co-occurrence weighting strength. Default 1. */
  readonly alpha: number;
  /** DynaMo blur kernel size. Default 3. */
  readonly blur: number;
  /** DynaMo's repetition-cell divisor (its default 'within' cells). Default 1.1. */
  readonly repetitionPenalty: number;
  /**
   * DynaMo's joint after masking: 'full' (sum 1, the sampler's default), 'mass' (keeps the
   * independent joint's mass on the survivors) or 'none'. See docs/dynamo-sampler.md.
   */
  readonly renormalize: 'full' | 'mass' | 'none';
}

export const DEFAULT_SAMPLER_SETTINGS: EvalSamplerSettings = {
  temperature: 0.7,
  topK: 50,
  alpha: 1,
  blur: 3,
  repetitionPenalty: 1.1,
  renormalize: 'full',
};

/** Validated settings over the defaults (DYNAMO_INVALID_OPTION naming the option). */
export function resolveSamplerSettings(settings: Partial<EvalSamplerSettings> = {}): EvalSamplerSettings {
  const s = { ...DEFAULT_SAMPLER_SETTINGS, ...settings };
  return {
    temperature: checkNumber('temperature', s.temperature, { min: 0, minExclusive: true }),
    topK: checkInteger('topK', s.topK, { min: 1, max: 128 }),
    alpha: checkNumber('alpha', s.alpha, { min: 0 }),
    blur: checkInteger('blur', s.blur, { min: 0 }),
    repetitionPenalty: checkNumber('repetitionPenalty', s.repetitionPenalty, { min: 0, minExclusive: true }),
    renormalize: checkEnum('renormalize', s.renormalize, ['full', 'mass', 'none']),
  };
}

/** What one configuration generates with. */
export interface ConfiguredSampler {
  readonly sampler: Sampler;
  readonly drafter?: Drafter;
}

/** Builds a fresh sampler for a configuration (called once per generation). */
export type EvalSamplerFactory = (config: SweepConfiguration, settings: EvalSamplerSettings) => ConfiguredSampler;

/**
 * The default factory:
 * - `ar` and `verified`: plain top-k sampling at the temperature (no other processor), so that
 *   `dynamo` at eps_b = 1 — plain top-k sampling by construction — draws the same tokens as `ar`
 *   for the same seed, and `verified` ('match') the same tokens as `ar` as well;
 * - `dynamo`: samplers' `dynamo()` with the settings, eps_b and the configuration's overrides;
 *   with co-occurrence masking when `tables` is given, else the paper's "no mask" variant.
 */
export function defaultSamplerFactory(tables?: CoOccurrenceTables): EvalSamplerFactory {
  return (config, s) => {
    if (config.mode !== 'dynamo') return { sampler: sampling({ temperature: s.temperature, topK: s.topK }) };
    const overrides = config.dynamo ?? {};
    const mask = overrides.mask ?? tables !== undefined;
    return {
      sampler: dynamo({
        epsilon: config.epsilon ?? 0.5,
        topK: s.topK,
        temperature: s.temperature,
        alpha: s.alpha,
        blur: s.blur,
        repetitionPenalty: s.repetitionPenalty,
        renormalize: s.renormalize,
        ...overrides,
        mask,
        ...(mask && tables !== undefined && { tables }),
        name: config.id,
      }),
    };
  };
}
