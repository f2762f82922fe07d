import {
  type DecodingDefaults,
  type Drafter,
  type DraftHead,
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
  /** DynaMo's eps_b, co-occurrence weighting strength and blur; undefined: the model's or the preset's. */
  readonly epsilon: number | undefined;
  readonly alpha: number | undefined;
  readonly blur: number | undefined;
  /** The model's other recommendations for the preset (the extra heads' temperature, the context penalty). */
  readonly dynamo: Partial<samplers.DynamoOptions>;
  /** DynaMo with a draft head: the back-off threshold and the most tokens per pass (the model's, else the sampler's defaults). */
  readonly minDraftProbability: number;
  readonly chainLength: number;
  /** The draft head's temperature relative to `temperature` (the model's, else 1). */
  readonly draftTemperatureRatio: number;
}

export function defaultSettings(
  decoding: DecodingDefaults | undefined,
  overrides: Partial<SamplerSettings>,
): SamplerSettings {
  const pick = <K extends keyof SamplerSettings>(key: K, fallback: SamplerSettings[K]): SamplerSettings[K] =>
    (overrides[key] ?? (decoding as Record<string, unknown> | undefined)?.[key] ?? fallback) as SamplerSettings[K];
  const preset = pick('preset', 'calibrated');
  // The model's recommended DynaMo values belong to its recommended preset (none named: the paper's).
  const fromModel = samplers.recommendedDynamoOptions(decoding, preset);
  const dynamoValue = (key: 'epsilon' | 'alpha' | 'blur'): number | undefined =>
    overrides[key] ?? (fromModel[key] as number | undefined);
  return {
    greedy: overrides.greedy ?? false,
    temperature: pick('temperature', 0.7),
    topK: pick('topK', 50),
    // Greedy is plain argmax unless a penalty is asked for explicitly (parity with other libraries).
    repetitionPenalty:
      overrides.greedy && overrides.repetitionPenalty === undefined ? 1 : pick('repetitionPenalty', 1.1),
    preset,
    epsilon: dynamoValue('epsilon'),
    alpha: dynamoValue('alpha'),
    blur: dynamoValue('blur'),
    dynamo: {
      ...(fromModel.headTemperature !== undefined && { headTemperature: fromModel.headTemperature }),
      ...(fromModel.contextPenalty !== undefined && { contextPenalty: fromModel.contextPenalty }),
    },
    minDraftProbability: pick('minDraftProbability', samplers.DEFAULT_MIN_DRAFT_PROBABILITY),
    chainLength: pick('chainLength', samplers.DEFAULT_CHAIN_LENGTH),
    draftTemperatureRatio: pick('draftTemperatureRatio', 1),
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
 * The sampler for a mode: `dynamo` on a model with a draft head (`chain`) → `dynamoChain()` (the
 * draft head fed each drawn token, the settings' back-off threshold and chain length); `dynamo`
 * otherwise → the DynaMo sampler (samplers' `dynamo()` with the settings'
 * preset, with co-occurrence masking when tables are loaded, else the paper's "no mask" variant);
 * `ar` / `verified` → top-k sampling at the same temperature, or greedy. The repetition penalty is
 * not here: it is a processor of every mode ({@link makeProcessors}).
 */
export function makeSampler(mode: string, s: SamplerSettings, tables: unknown, chain = false): Sampler {
  if (mode === 'dynamo' && chain) {
    return samplers.dynamoChain({
      temperature: s.temperature,
      topK: s.topK,
      minDraftProbability: s.minDraftProbability,
      chainLength: s.chainLength,
      draftTemperatureRatio: s.draftTemperatureRatio,
    });
  }
  if (mode === 'dynamo') {
    return samplers.dynamo({
      ...s.dynamo,
      preset: s.preset,
      ...(s.epsilon !== undefined && { epsilon: s.epsilon }),
      ...(s.alpha !== undefined && { alpha: s.alpha }),
      ...(s.blur !== undefined && { blur: s.blur }),
      topK: s.topK,
      temperature: s.temperature,
      ...(tables === undefined ? { mask: false } : { tables: tables as samplers.CoOccurrenceTables }),
    });
  }
  if (s.greedy) return samplers.greedy();
  return samplers.sampling({ temperature: s.temperature, topK: s.topK });
}

/**
 * Drafted nodes per verification pass when --tree-budget is not given and the device is unknown;
 * the CLI uses `recommendedTreeBudget(device)` of @dynamojs/samplers (8 on the CPU, 24 on a GPU).
 */
export const DEFAULT_TREE_BUDGET = samplers.DEFAULT_TREE_BUDGET;

/** The drafters of `verified` (see {@link makeDrafter}). */
export const DRAFTERS = ['auto', 'tree', 'ngram', 'head', 'top1', 'dynamo', 'dynamo-sample'] as const;
export type DrafterKind = (typeof DRAFTERS)[number];

/**
 * The drafter of `verified`:
 * - `tree`: DynaMo candidate trees from the extra heads' masked joint, the n-gram tables and prompt
 *   lookup (needs ngrams.bin), `budget` nodes per pass;
 * - `ngram`: n-gram table + prompt-lookup trees, no head needed (any causal LM; prompt lookup only
 *   without ngrams.bin);
 * - `head`: chains from the model's draft head (needs `draftHead`: the base-only graph loaded with
 *   it), drawn from its processed distribution (argmax when greedy), checked on the base-only graph;
 * - `top1`: per-head top-1 chains; `dynamo` / `dynamo-sample`: the DynaMo joint's best cell / a
 *   cell drawn from it with q reported (chains, need ngrams.bin);
 * - `auto` (what `--mode verified` uses): `tree` with tables, else `top1` on a multi-head model,
 *   else `ngram`.
 */
export function makeDrafter(
  kind: DrafterKind,
  s: SamplerSettings,
  tables: unknown,
  heads = 3,
  budget = DEFAULT_TREE_BUDGET,
  draftHead?: DraftHead,
): Drafter | undefined {
  const t = tables as samplers.CoOccurrenceTables | undefined;
  if (kind === 'head') {
    if (draftHead === undefined) {
      throw new DynamoError(
        DynamoErrorCode.INVALID_OPTION,
        'The head drafter needs a model folder with a draft head (a "draft-head" file in dynamo.json).',
        { details: { option: 'drafter' } },
      );
    }
    return samplers.draftHeadDrafter({
      head: draftHead,
      depth: Math.max(1, s.chainLength - 1),
      ...(s.greedy
        ? { draw: 'argmax' as const }
        : {
            temperature: s.temperature * s.draftTemperatureRatio,
            topK: s.topK,
            ...(s.repetitionPenalty !== 1 && { repetitionPenalty: s.repetitionPenalty }),
          }),
    });
  }
  if (kind === 'auto') kind = t !== undefined && heads > 1 ? 'tree' : heads > 1 ? 'top1' : 'ngram';
  if (kind === 'top1') return samplers.topOneDrafter();
  if (kind === 'ngram') return samplers.ngramDrafter({ ...(t && { tables: t }), budget: Math.max(budget, 1) });
  if (t === undefined) {
    throw new DynamoError(
      DynamoErrorCode.INVALID_OPTION,
      `The ${kind} drafter needs co-occurrence tables (ngrams.bin in the model folder).`,
      { details: { option: 'drafter' } },
    );
  }
  if (kind === 'tree') return samplers.dynamoTreeDrafter({ tables: t, budget });
  return samplers.dynamoDrafter({
    tables: t,
    topK: s.topK,
    temperature: s.temperature,
    ...(s.alpha !== undefined && { alpha: s.alpha }),
    mode: kind === 'dynamo-sample' ? 'sample' : 'argmax',
  });
}
