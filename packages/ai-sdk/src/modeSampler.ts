/**
 * The sampler (and drafter) for a generation mode, from the call's settings — the one place that
 * knows the samplers' defaults. It mirrors the `dynamo` command's wiring
 * (packages/cli/src/samplerFactory.ts: `defaultSettings` and `makeSampler`), through
 * @dynamojs/samplers' public factories only: when their defaults or options change, update both.
 */
import type { DecodingDefaults, Drafter, LogitsProcessor, Sampler } from '@dynamojs/core';
import type { GenerationMode } from '@dynamojs/generate';
import * as samplers from '@dynamojs/samplers';

/** What a call asks for; `undefined` = the model's default, else the fallback below. */
export interface SamplingRequest {
  readonly temperature?: number;
  readonly topK?: number;
  readonly topP?: number;
  readonly repetitionPenalty?: number;
  readonly epsilon?: number;
  readonly alpha?: number;
  readonly blur?: number;
}

/** The settings in force. */
export interface SamplingSettings {
  /** temperature 0: argmax (`ar`, `verified`), top-1 per head (`dynamo`). */
  readonly greedy: boolean;
  readonly temperature: number;
  readonly topK: number;
  /** 1 = off. */
  readonly topP: number;
  readonly repetitionPenalty: number;
  readonly epsilon: number;
  readonly alpha: number;
  readonly blur: number;
}

/** The fallbacks the CLI uses when neither the call nor the model's manifest says. */
export const SAMPLING_FALLBACKS = {
  temperature: 0.7,
  topK: 50,
  repetitionPenalty: 1.1,
  epsilon: 0.5,
  alpha: 1,
  blur: 3,
} as const;

/** Call → model manifest (`decoding`) → fallback, as `dynamo generate` resolves them. */
export function resolveSampling(decoding: DecodingDefaults | undefined, request: SamplingRequest): SamplingSettings {
  const pick = (key: keyof typeof SAMPLING_FALLBACKS): number =>
    request[key] ?? decoding?.[key] ?? SAMPLING_FALLBACKS[key];
  const greedy = request.temperature === 0;
  return {
    greedy,
    // greedy keeps the model's temperature for DynaMo's top-1 joint (it does not change the argmax)
    temperature: greedy ? (decoding?.temperature ?? SAMPLING_FALLBACKS.temperature) : pick('temperature'),
    topK: pick('topK'),
    topP: request.topP ?? 1,
    // Greedy is plain argmax unless a penalty is asked for explicitly (as the CLI's --greedy).
    repetitionPenalty: greedy && request.repetitionPenalty === undefined ? 1 : pick('repetitionPenalty'),
    epsilon: pick('epsilon'),
    alpha: pick('alpha'),
    blur: pick('blur'),
  };
}

/**
 * `dynamo` → the DynaMo sampler (co-occurrence masking when `tables` are given, else the paper's
 * "no mask" variant); greedy = top-1 per head, so each pass emits the heads' argmax tokens (backing
 * off where the n-gram is unseen). top-p runs per head on the tempered logits, before top-k.
 * `ar` / `verified` → classic sampling with the same temperature, top-k, top-p and repetition
 * penalty, or argmax when greedy.
 */
export function samplerFor(
  mode: GenerationMode,
  s: SamplingSettings,
  tables: samplers.CoOccurrenceTables | undefined,
): Sampler {
  if (mode === 'dynamo') {
    const nucleus = !s.greedy && s.topP < 1;
    const processors: LogitsProcessor[] = nucleus ? [samplers.temperature(s.temperature), samplers.topP(s.topP)] : [];
    return samplers.dynamo({
      epsilon: s.epsilon,
      alpha: s.alpha,
      topK: s.greedy ? 1 : s.topK,
      // with top-p the temperature is applied by the processors above
      temperature: nucleus ? 1 : s.temperature,
      blur: s.blur,
      repetitionPenalty: s.repetitionPenalty,
      ...(processors.length > 0 && { processors }),
      ...(tables === undefined ? { mask: false } : { tables }),
    });
  }
  if (s.greedy) return samplers.greedy({ repetitionPenalty: s.repetitionPenalty });
  return samplers.sampling({
    temperature: s.temperature,
    topK: s.topK,
    repetitionPenalty: s.repetitionPenalty,
    ...(s.topP < 1 && { topP: s.topP }),
  });
}

/** `verified` drafts with per-head top-1 (the CLI's default `--drafter top1`). */
export function drafterFor(mode: GenerationMode): Drafter | undefined {
  return mode === 'verified' ? samplers.topOneDrafter() : undefined;
}
