import {
  type DecodingDefaults,
  type Drafter,
  DynamoError,
  DynamoErrorCode,
  type LogitsProcessor,
  type Sampler,
} from '@dynamojs/core';
import * as samplers from '@dynamojs/samplers';

/**
 * Sampler settings shared by every mode, so `ar` and `dynamo` compare like for like: the same
 * temperature and top-k, and the same logits processors (the repetition penalty) on every head.
 */
export interface SamplerSettings {
  readonly greedy: boolean;
  readonly temperature: number;
  readonly topK: number;
  /** The CTRL repetition penalty on the logits of every head (1 = off), in every mode. */
  readonly repetitionPenalty: number;
  /** DynaMo preset (the defaults of the options below). */
  readonly preset: samplers.DynamoPreset;
  /** eps_b; undefined: the preset's. */
  readonly epsilon: number | undefined;
  readonly alpha: number;
  readonly blur: number;
}

export function defaultSettings(
  decoding: DecodingDefaults | undefined,
  overrides: Partial<SamplerSettings>,
): SamplerSettings {
  const pick = <K extends keyof SamplerSettings>(key: K, fallback: SamplerSettings[K]): SamplerSettings[K] =>
    (overrides[key] ?? (decoding as Record<string, unknown> | undefined)?.[key] ?? fallback) as SamplerSettings[K];
  const preset = pick('preset', 'calibrated');
  return {
    greedy: overrides.greedy ?? false,
    temperature: pick('temperature', 0.7),
    topK: pick('topK', 50),
    // Greedy is plain argmax unless a penalty is asked for explicitly (parity with other libraries).
    repetitionPenalty:
      overrides.greedy && overrides.repetitionPenalty === undefined ? 1 : pick('repetitionPenalty', 1.1),
    preset,
    // The model's recommended eps_b belongs to its recommended preset (none named: the paper's).
    epsilon: overrides.epsilon ?? ((decoding?.preset ?? 'paper') === preset ? decoding?.epsilon : undefined),
    alpha: pick('alpha', 1),
    blur: pick('blur', 3),
  };
}

/**
 * The logits processors of every mode: the repetition penalty on a copy of every head's logits
 * (generate's `processors`), so `ar`, `dynamo` and `verified` sample from the same base
 * distribution — `dynamo` at eps_b 1 is exactly `ar` with the same seed.
 */
export function makeProcessors(s: SamplerSettings): LogitsProcessor[] {
  return s.repetitionPenalty === 1 ? [] : [samplers.repetitionPenalty(s.repetitionPenalty)];
}

/**
 * The sampler for a mode: `dynamo` → the DynaMo sampler (samplers' `dynamo()` with the settings'
 * preset, with co-occurrence masking when tables are loaded, else the paper's "no mask" variant);
 * `ar` / `verified` → top-k sampling at the same temperature, or greedy. The repetition penalty is
 * not here: it is a processor of every mode ({@link makeProcessors}).
 */
export function makeSampler(mode: string, s: SamplerSettings, tables: unknown): Sampler {
  if (mode === 'dynamo') {
    return samplers.dynamo({
      preset: s.preset,
      ...(s.epsilon !== undefined && { epsilon: s.epsilon }),
      alpha: s.alpha,
      topK: s.topK,
      temperature: s.temperature,
      blur: s.blur,
      ...(tables === undefined ? { mask: false } : { tables: tables as samplers.CoOccurrenceTables }),
    });
  }
  if (s.greedy) return samplers.greedy();
  return samplers.sampling({ temperature: s.temperature, topK: s.topK });
}

/**
 * The drafter of `verified`: per-head top-1 (default), or the DynaMo joint (needs tables): its
 * most probable cell (`dynamo`) or a cell drawn from it with q reported (`dynamo-sample`, for
 * `--verification speculative`).
 */
export function makeDrafter(
  kind: 'top1' | 'dynamo' | 'dynamo-sample',
  s: SamplerSettings,
  tables: unknown,
): Drafter | undefined {
  if (kind === 'top1') return samplers.topOneDrafter();
  if (tables === undefined) {
    throw new DynamoError(
      DynamoErrorCode.INVALID_OPTION,
      'The dynamo drafter needs co-occurrence tables (ngrams.bin in the model folder).',
      { details: { option: 'drafter' } },
    );
  }
  return samplers.dynamoDrafter({
    tables: tables as samplers.CoOccurrenceTables,
    topK: s.topK,
    temperature: s.temperature,
    alpha: s.alpha,
    mode: kind === 'dynamo-sample' ? 'sample' : 'argmax',
  });
}
