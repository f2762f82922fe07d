/**
 * The sampler, drafter and logits processors for a generation mode, from the call's settings — the
 * one place that knows the samplers' defaults. It mirrors the `dynamo` command's wiring
 * (packages/cli/src/samplerFactory.ts: `defaultSettings`, `makeSampler`, `makeProcessors`), through
 * @dynamojs/samplers' public factories only: when their defaults or options change, update both.
 */
import type { DecodingDefaults, Drafter, LogitsProcessor, Sampler } from '@dynamojs/core';
import type { GenerationMode } from '@dynamojs/generate';
import * as samplers from '@dynamojs/samplers';

/** The DynaMo sampler's presets (`@dynamojs/samplers`' `DYNAMO_PRESETS`). */
export type DynamoPreset = samplers.DynamoPreset;

/** What a call asks for; `undefined` = the model's default, else the fallback below. */
export interface SamplingRequest {
  readonly temperature?: number;
  readonly topK?: number;
  readonly topP?: number;
  readonly repetitionPenalty?: number;
  readonly preset?: DynamoPreset;
  readonly epsilon?: number;
  readonly joint?: 'chain' | 'heads';
  readonly minDraftProbability?: number;
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
  /** The CTRL repetition penalty on every head's logits, in every mode (1 = off). */
  readonly repetitionPenalty: number;
  readonly preset: DynamoPreset;
  /**
   * The DynaMo options in force beyond the preset: the call's, over the model's recommendation for
   * that preset (`recommendedDynamoOptions`: eps_b, alpha, blur, the extra heads' temperature, the
   * context penalty); what neither sets is the preset's.
   */
  readonly dynamo: Partial<samplers.DynamoOptions>;
  /** `'dynamo'` with a draft head: whether the call allows it (`joint`), and the chain sampler's options. */
  readonly joint: 'chain' | 'heads';
  readonly chain: {
    readonly minDraftProbability: number;
    readonly chainLength: number;
    readonly draftTemperatureRatio: number;
  };
}

/** The fallbacks the CLI uses when neither the call nor the model's manifest says. */
export const SAMPLING_FALLBACKS = {
  temperature: 0.7,
  topK: 50,
  repetitionPenalty: 1.1,
  preset: 'calibrated',
} as const satisfies Partial<SamplingSettings>;

/** Call → model manifest (`decoding`) → fallback, as `dynamo generate` resolves them. */
export function resolveSampling(decoding: DecodingDefaults | undefined, request: SamplingRequest): SamplingSettings {
  const fromModel = decoding as Record<string, unknown> | undefined;
  const pick = <K extends keyof typeof SAMPLING_FALLBACKS>(key: K): SamplingSettings[K] =>
    (request[key] ?? fromModel?.[key] ?? SAMPLING_FALLBACKS[key]) as SamplingSettings[K];
  const greedy = request.temperature === 0;
  const preset = pick('preset');
  return {
    greedy,
    // greedy keeps the model's temperature for DynaMo's top-1 joint (it does not change the argmax)
    temperature: greedy
      ? ((fromModel?.temperature as number | undefined) ?? SAMPLING_FALLBACKS.temperature)
      : pick('temperature'),
    topK: pick('topK'),
    topP: request.topP ?? 1,
    // Greedy is plain argmax unless a penalty is asked for explicitly (as the CLI's --greedy).
    repetitionPenalty: greedy && request.repetitionPenalty === undefined ? 1 : pick('repetitionPenalty'),
    preset,
    // The model's recommended DynaMo values belong to its recommended preset (none named: the paper's).
    joint: request.joint ?? 'chain',
    chain: {
      minDraftProbability:
        request.minDraftProbability ?? decoding?.minDraftProbability ?? samplers.DEFAULT_MIN_DRAFT_PROBABILITY,
      chainLength: decoding?.chainLength ?? samplers.DEFAULT_CHAIN_LENGTH,
      draftTemperatureRatio: decoding?.draftTemperatureRatio ?? 1,
    },
    dynamo: {
      ...samplers.recommendedDynamoOptions(decoding, preset),
      ...(request.epsilon !== undefined && { epsilon: request.epsilon }),
      ...(request.alpha !== undefined && { alpha: request.alpha }),
      ...(request.blur !== undefined && { blur: request.blur }),
    },
  };
}

/**
 * `generate()`'s logits processors, on a copy of every head's logits in every mode: the repetition
 * penalty, so `ar`, `dynamo` and `verified` sample from the same base distribution.
 */
export function processorsFor(s: SamplingSettings): LogitsProcessor[] {
  return s.repetitionPenalty === 1 ? [] : [samplers.repetitionPenalty(s.repetitionPenalty)];
}

/**
 * `dynamo` with `chain` (the model's draft head, on the base-only graph) → `dynamoChain()` with the
 * settings' back-off threshold, chain length and draft temperature ratio;
 * `dynamo` otherwise → the DynaMo sampler with the settings' preset (co-occurrence masking when `tables`
 * are given, else the paper's "no mask" variant); greedy = top-1 per head, so each pass emits the
 * heads' argmax tokens (backing off where the n-gram is unseen); top-p keeps each head's nucleus
 * at temperature 1, before DynaMo's per-head top-k. `ar` / `verified` → top-k (and top-p) sampling
 * at the same temperature, or argmax when greedy.
 */
export function samplerFor(
  mode: GenerationMode,
  s: SamplingSettings,
  tables: samplers.CoOccurrenceTables | undefined,
  chain = false,
): Sampler {
  if (mode === 'dynamo' && chain) {
    return samplers.dynamoChain({
      temperature: s.temperature,
      topK: s.topK,
      ...(s.topP < 1 && { topP: s.topP }),
      ...s.chain,
    });
  }
  if (mode === 'dynamo') {
    return samplers.dynamo({
      ...s.dynamo,
      preset: s.preset,
      topK: s.greedy ? 1 : s.topK,
      temperature: s.temperature,
      ...(!s.greedy && s.topP < 1 && { processors: [samplers.topP(s.topP)] }),
      ...(tables === undefined ? { mask: false } : { tables }),
    });
  }
  if (s.greedy) return samplers.greedy();
  return samplers.sampling({ temperature: s.temperature, topK: s.topK, ...(s.topP < 1 && { topP: s.topP }) });
}

/**
 * `verified` drafts as the CLI's default `--drafter auto`: DynaMo candidate trees when the model has
 * co-occurrence tables, else per-head top-1 chains (n-gram/prompt-lookup trees on a 1-head model);
 * trees of `recommendedTreeBudget(device)` nodes (8 on the CPU or WASM, 24 on a GPU).
 */
export function drafterFor(
  mode: GenerationMode,
  tables: samplers.CoOccurrenceTables | undefined = undefined,
  heads = 3,
  device?: string,
): Drafter | undefined {
  if (mode !== 'verified') return undefined;
  const budget = samplers.recommendedTreeBudget(device);
  if (tables !== undefined && heads > 1) return samplers.dynamoTreeDrafter({ tables, budget });
  return heads > 1 ? samplers.topOneDrafter() : samplers.ngramDrafter({ ...(tables && { tables }) });
}
