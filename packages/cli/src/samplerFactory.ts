import { type DecodingDefaults, type Drafter, DynamoError, DynamoErrorCode, type Sampler } from '@dynamojs/core';
import type { DistributionSampler } from '@dynamojs/generate';
import * as samplers from '@dynamojs/samplers';

/** Sampler settings shared by every mode, so `ar` and `dynamo` compare like for like. */
export interface SamplerSettings {
  readonly greedy: boolean;
  readonly temperature: number;
  readonly topK: number;
  readonly repetitionPenalty: number;
  readonly epsilon: number;
  readonly alpha: number;
  readonly blur: number;
}

export function defaultSettings(
  decoding: DecodingDefaults | undefined,
  overrides: Partial<SamplerSettings>,
): SamplerSettings {
  const pick = <K extends keyof SamplerSettings>(key: K, fallback: SamplerSettings[K]): SamplerSettings[K] =>
    (overrides[key] ?? (decoding as Record<string, unknown> | undefined)?.[key] ?? fallback) as SamplerSettings[K];
  return {
    greedy: overrides.greedy ?? false,
    temperature: pick('temperature', 0.7),
    topK: pick('topK', 50),
    // Greedy is plain argmax unless a penalty is asked for explicitly (parity with other libraries).
    repetitionPenalty:
      overrides.greedy && overrides.repetitionPenalty === undefined ? 1 : pick('repetitionPenalty', 1.1),
    epsilon: pick('epsilon', 0.5),
    alpha: pick('alpha', 1),
    blur: pick('blur', 3),
  };
}

/**
 * The sampler for a mode: `dynamo` → the DynaMo sampler (samplers' `dynamo()`, with co-occurrence
 * masking when tables are loaded, else the paper's "no mask" variant); `ar` / `verified` → classic
 * sampling with the same temperature / top-k / repetition penalty, or greedy.
 */
export function makeSampler(mode: string, s: SamplerSettings, tables: unknown): Sampler {
  if (mode === 'dynamo') {
    return samplers.dynamo({
      epsilon: s.epsilon,
      alpha: s.alpha,
      topK: s.topK,
      temperature: s.temperature,
      blur: s.blur,
      repetitionPenalty: s.repetitionPenalty,
      ...(tables === undefined ? { mask: false } : { tables: tables as samplers.CoOccurrenceTables }),
    });
  }
  if (s.greedy) return samplers.greedy({ repetitionPenalty: s.repetitionPenalty });
  return withDistribution(
    samplers.sampling({ temperature: s.temperature, topK: s.topK, repetitionPenalty: s.repetitionPenalty }),
  );
}

/**
 * Adds `distribution(view, out)` (what speculative verification needs) to samplers' multinomial
 * sampler: the same processors and softmax its `sample()` draws from.
 */
export function withDistribution(sampler: samplers.MultinomialSampler): DistributionSampler {
  const context = new samplers.MutableProcessorContext();
  return {
    name: sampler.name,
    heads: 1,
    sample: (view) => sampler.sample(view),
    distribution(view, out) {
      out.set(view.logits(0));
      sampler.processors.process(out, context.set(0, view.history));
      samplers.softmax(out, out);
    },
  };
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
