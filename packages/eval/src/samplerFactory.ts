import {
  checkEnum,
  checkInteger,
  checkNumber,
  type Drafter,
  type LogitsProcessor,
  type Sampler,
  type Verifier,
} from '@dynamojs/core';
import { type DecodingMode, type DecodingSettings, resolveDecoding } from '@dynamojs/generate';
import { type CoOccurrenceTables, DYNAMO_PRESETS, type DynamoPreset, speculativeVerifier } from '@dynamojs/samplers';
import type { SweepConfiguration } from './sweepConfig.js';

/**
 * Settings shared by every configuration, so `ar` and `dynamo` compare like for like: the same
 * temperature, top-k and logits processors (the repetition penalty on every head).
 */
export interface EvalSamplerSettings {
  /** Every head (and the ar sampler). Default 0.7. */
  readonly temperature: number;
  /** Tokens kept per head (and by the ar sampler). Default 50. */
  readonly topK: number;
  /**
   * The CTRL repetition penalty on a copy of every head's logits (generate's `processors`), in
   * every configuration — ar included. Default 1.1 (1 = off).
   */
  readonly repetitionPenalty: number;
  /** The DynaMo preset of the eps_b sweep ('calibrated' by default); the ablation rows use 'paper'. */
  readonly preset: DynamoPreset;
  /** DynaMo co-occurrence weighting strength; null: the preset's. */
  readonly alpha: number | null;
  /** DynaMo blur kernel size. Default 3. */
  readonly blur: number;
  /**
   * DynaMo's joint after masking: 'full' (sum 1, the sampler's default), 'mass' (keeps the
   * independent joint's mass on the survivors) or 'none'. See docs/dynamo-sampler.md.
   */
  readonly renormalize: 'full' | 'mass' | 'none';
  /** DynaMo extra heads' temperature in the joint; null: the preset's (or the model's). */
  readonly headTemperature: number | readonly number[] | null;
  /** Drafted nodes per pass of the `verified-tree` rows. Default 8. */
  readonly treeBudget: number;
  /** `chain` rows: the most tokens per pass. Default 4. */
  readonly chainLength: number;
  /** `chain` rows: the draft head's temperature relative to `temperature`. Default 1 (the model's recommendation is passed by the CLI). */
  readonly draftTemperatureRatio: number;
}

export const DEFAULT_SAMPLER_SETTINGS: EvalSamplerSettings = {
  temperature: 0.7,
  topK: 50,
  repetitionPenalty: 1.1,
  preset: 'calibrated',
  alpha: null,
  blur: 3,
  renormalize: 'full',
  headTemperature: null,
  treeBudget: 8,
  chainLength: 4,
  draftTemperatureRatio: 1,
};

/** Validated settings over the defaults (DYNAMO_INVALID_OPTION naming the option). */
export function resolveSamplerSettings(settings: Partial<EvalSamplerSettings> = {}): EvalSamplerSettings {
  const s = { ...DEFAULT_SAMPLER_SETTINGS, ...settings };
  return {
    temperature: checkNumber('temperature', s.temperature, { min: 0, minExclusive: true }),
    topK: checkInteger('topK', s.topK, { min: 1, max: 128 }),
    repetitionPenalty: checkNumber('repetitionPenalty', s.repetitionPenalty, { min: 0, minExclusive: true }),
    preset: checkEnum('preset', s.preset, Object.keys(DYNAMO_PRESETS) as DynamoPreset[]),
    alpha: s.alpha === null ? null : checkNumber('alpha', s.alpha, { min: 0 }),
    blur: checkInteger('blur', s.blur, { min: 0 }),
    renormalize: checkEnum('renormalize', s.renormalize, ['full', 'mass', 'none']),
    headTemperature:
      s.headTemperature === null
        ? null
        : typeof s.headTemperature === 'number'
          ? checkNumber('headTemperature', s.headTemperature, { min: 0, minExclusive: true })
          : s.headTemperature.map((t, i) => checkNumber(`headTemperature[${i}]`, t, { min: 0, minExclusive: true })),
    treeBudget: checkInteger('treeBudget', s.treeBudget, { min: 1, max: 4096 }),
    chainLength: checkInteger('chainLength', s.chainLength, { min: 1, max: 16 }),
    draftTemperatureRatio: checkNumber('draftTemperatureRatio', s.draftTemperatureRatio, {
      min: 0,
      minExclusive: true,
      max: 10,
    }),
  };
}

/** What one configuration generates with. */
export interface ConfiguredSampler {
  readonly sampler: Sampler;
  readonly drafter?: Drafter;
  readonly verifier?: Verifier;
  /** generate's `processors` (applied to every head). */
  readonly processors?: readonly LogitsProcessor[];
}

/** Builds a fresh sampler for a configuration (called once per generation). */
export type EvalSamplerFactory = (config: SweepConfiguration, settings: EvalSamplerSettings) => ConfiguredSampler;

/**
 * The default factory: each configuration is a {@link resolveDecoding} plan (@dynamojs/generate's
 * one resolver, the one `dynamo generate` runs) with every setting explicit, so the rows compare
 * like for like. Every configuration gets the same processors (the repetition penalty on every
 * head), so:
 * - `ar`: top-k sampling at the temperature;
 * - `verified`: the same sampler checking drafts — per-head top-1 chains ('chain') or DynaMo
 *   candidate trees of `treeBudget` nodes ('tree', needs `tables`; the resolver's choice without
 *   them); 'match' verification gives exactly `ar`'s tokens for the same seed, 'speculative'
 *   (recursive rejection sampling over the drafts) exactly `ar`'s distribution;
 * - `chain` rows: DynaMo with the model's draft head (samplers' `dynamoChain()`) at the row's
 *   back-off threshold, the settings' chain length and draft temperature ratio;
 * - `dynamo`: the DynaMo heads' sampler with the settings' preset (a configuration may name
 *   another, e.g. the ablation rows' 'paper'), eps_b and the configuration's overrides; with
 *   co-occurrence masking when `tables` is given, else the paper's "no mask" variant. At eps_b 1 it
 *   draws exactly `ar`'s tokens for the same seed.
 */
export function defaultSamplerFactory(tables?: CoOccurrenceTables): EvalSamplerFactory {
  return (config, s) => {
    const shared: DecodingSettings = {
      mode: config.mode as DecodingMode,
      temperature: s.temperature,
      topK: s.topK,
      repetitionPenalty: s.repetitionPenalty,
    };
    let settings: DecodingSettings;
    if (config.mode === 'verified') {
      settings = {
        ...shared,
        drafter: config.drafter === 'tree' && tables !== undefined ? 'tree' : 'top1',
        treeBudget: s.treeBudget,
        verification: config.verification ?? 'match',
      };
    } else if (config.mode === 'dynamo' && config.kind === 'chain') {
      settings = {
        ...shared,
        joint: 'chain',
        chainLength: s.chainLength,
        draftTemperatureRatio: s.draftTemperatureRatio,
        ...(config.minDraftProbability !== undefined && { minDraftProbability: config.minDraftProbability }),
      };
    } else if (config.mode === 'dynamo') {
      const overrides = config.dynamo ?? {};
      settings = {
        ...shared,
        joint: 'heads',
        preset: s.preset,
        ...(config.epsilon !== undefined && { epsilon: config.epsilon }),
        ...(s.alpha !== null && { alpha: s.alpha }),
        ...(s.headTemperature !== null && { headTemperature: s.headTemperature }),
        blur: s.blur,
        renormalize: s.renormalize,
        dynamo: { ...overrides, mask: overrides.mask ?? tables !== undefined, name: config.id },
      };
    } else {
      settings = shared;
    }
    // the eval states every setting: no model recommendation is read here (the CLI passes the model's)
    const plan = resolveDecoding(settings, {
      heads: 3,
      draftHead: config.kind === 'chain',
      ...(tables !== undefined && { tables }),
    });
    const c = plan.create();
    return {
      sampler: c.sampler,
      processors: c.processors,
      ...(c.drafter && { drafter: c.drafter }),
      ...(c.verification === 'speculative' && { verifier: speculativeVerifier(c.sampler) }),
    };
  };
}
