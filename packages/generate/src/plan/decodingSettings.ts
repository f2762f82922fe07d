import {
  checkBoolean,
  checkEnum,
  checkInteger,
  checkNumber,
  type DecodingDefaults,
  invalidOption,
} from '@dynamojs/core';
import {
  DEFAULT_CHAIN_LENGTH,
  DEFAULT_MIN_DRAFT_PROBABILITY,
  DYNAMO_PRESETS,
  type DynamoOptions,
  type DynamoPreset,
  recommendedDynamoOptions,
} from '@dynamojs/samplers';
import { DRAFTERS, type DrafterKind } from './drafterKind.js';

/** The modes the resolver plans (generate's built-in ones). */
export type DecodingMode = 'ar' | 'dynamo' | 'verified';

/**
 * What a user asks of a decoding — the one settings type every front end speaks (`dynamo generate`'s
 * flags, the AI SDK provider's settings, `dynamo eval`'s rows, the playground). Every field is
 * optional: what is not given comes from the model's manifest (`decoding`), else
 * {@link DECODING_FALLBACKS}.
 */
export interface DecodingSettings {
  /** `'ar'`, `'dynamo'` (default) or `'verified'`. */
  readonly mode?: DecodingMode;
  /** Argmax decoding (also `temperature: 0`): `ar`/`verified` take the argmax, DynaMo the heads' top-1. */
  readonly greedy?: boolean;
  /** > 0, or 0 for greedy. */
  readonly temperature?: number;
  readonly topK?: number;
  /** Nucleus sampling (0, 1]; 1 = off. */
  readonly topP?: number;
  /** The CTRL repetition penalty on a copy of every head's logits, in every mode (1 = off). */
  readonly repetitionPenalty?: number;
  /**
   * `'dynamo'` on a model with a draft head: `'chain'` continues each pass with it (the default
   * when sampling), `'heads'` runs the paper's extra heads (the default when greedy). `'auto'`:
   * that choice.
   */
  readonly joint?: 'auto' | 'chain' | 'heads';
  /** The DynaMo heads' sampler: preset and the values over it (the model's recommendation otherwise). */
  readonly preset?: DynamoPreset;
  readonly epsilon?: number;
  readonly alpha?: number;
  readonly blur?: number;
  readonly headTemperature?: number | readonly number[];
  readonly renormalize?: DynamoOptions['renormalize'];
  /** Any other DynaMo heads' sampler options, applied last (e.g. an ablation's `mask: false`). */
  readonly dynamo?: Partial<DynamoOptions>;
  /** DynaMo with a draft head: the back-off threshold, the most tokens per pass, the draft temperature ratio. */
  readonly minDraftProbability?: number;
  readonly chainLength?: number;
  readonly draftTemperatureRatio?: number;
  /** `'verified'`: what drafts (default `'auto'`: the best lossless drafter for the model and device). */
  readonly drafter?: DrafterKind;
  /**
   * `'verified'`: `'match'` (exactly `ar`'s tokens for a seed), `'speculative'` (exactly `ar`'s
   * distribution), or `'auto'` (default): speculative for drafters that report their distribution
   * (the draft head when sampling), match otherwise.
   */
  readonly verification?: 'auto' | 'match' | 'speculative';
  /** `'verified'`: drafted nodes per pass of tree / n-gram drafters (default by device). */
  readonly treeBudget?: number;
  /** `'verified'` with the assistant drafter: its first draft length, 1..16 (default 4; then adaptive). */
  readonly assistantK?: number;
  /** `'verified'` with the assistant drafter: stop a draft below this top probability, [0, 1] (default 0.4). */
  readonly assistantMinProbability?: number;
}

/** The fallbacks when neither the settings nor the model's manifest say. */
export const DECODING_FALLBACKS = {
  mode: 'dynamo',
  temperature: 0.7,
  topK: 50,
  topP: 1,
  repetitionPenalty: 1.1,
  preset: 'calibrated',
  minDraftProbability: DEFAULT_MIN_DRAFT_PROBABILITY,
  chainLength: DEFAULT_CHAIN_LENGTH,
  draftTemperatureRatio: 1,
} as const;

/** Settings in force: every value decided (the DynaMo heads' options as the sampler will get them). */
export interface ResolvedDecodingSettings {
  readonly mode: DecodingMode;
  readonly greedy: boolean;
  /** The sampling temperature (greedy keeps the model's: it is DynaMo's joint temperature). */
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
  readonly repetitionPenalty: number;
  readonly joint: 'auto' | 'chain' | 'heads';
  readonly preset: DynamoPreset;
  /** The DynaMo heads' options beyond topK/temperature/tables: the model's for the preset, then the settings'. */
  readonly dynamo: Partial<DynamoOptions>;
  readonly minDraftProbability: number;
  readonly chainLength: number;
  readonly draftTemperatureRatio: number;
  readonly drafter: DrafterKind;
  readonly verification: 'auto' | 'match' | 'speculative';
  readonly treeBudget: number | undefined;
  readonly assistantK: number | undefined;
  readonly assistantMinProbability: number | undefined;
}

const KNOWN = new Set<string>([
  'mode',
  'greedy',
  'temperature',
  'topK',
  'topP',
  'repetitionPenalty',
  'joint',
  'preset',
  'epsilon',
  'alpha',
  'blur',
  'headTemperature',
  'renormalize',
  'dynamo',
  'minDraftProbability',
  'chainLength',
  'draftTemperatureRatio',
  'drafter',
  'verification',
  'treeBudget',
  'assistantK',
  'assistantMinProbability',
]);

function positive(option: string, value: unknown): number {
  return checkNumber(option, value, { min: 0, minExclusive: true });
}

/**
 * Settings → model manifest (`decoding`) → {@link DECODING_FALLBACKS}, validated: an out-of-range
 * or unknown setting throws DYNAMO_INVALID_OPTION naming it.
 */
export function resolveDecodingSettings(
  settings: DecodingSettings = {},
  decoding: DecodingDefaults | undefined = undefined,
): ResolvedDecodingSettings {
  if (typeof settings !== 'object' || settings === null) invalidOption('settings', 'an object', settings);
  for (const key of Object.keys(settings)) {
    if (!KNOWN.has(key)) invalidOption(key, `a decoding setting (one of ${[...KNOWN].join(', ')})`, key);
  }
  const s = settings;
  const model = decoding as Record<string, unknown> | undefined;
  const pick = <K extends keyof typeof DECODING_FALLBACKS>(key: K): unknown =>
    s[key] ?? model?.[key] ?? DECODING_FALLBACKS[key];
  const mode = checkEnum('mode', s.mode ?? DECODING_FALLBACKS.mode, ['ar', 'dynamo', 'verified'] as const);
  if (s.temperature !== undefined) checkNumber('temperature', s.temperature, { min: 0 });
  const greedy = checkBoolean('greedy', s.greedy, false) || s.temperature === 0;
  // greedy keeps the model's temperature: DynaMo's joint is built at it (the argmax does not change)
  const temperature = positive(
    'temperature',
    s.temperature !== undefined && s.temperature > 0
      ? s.temperature
      : (model?.temperature ?? DECODING_FALLBACKS.temperature),
  );
  const topK = checkInteger('topK', pick('topK'), { min: 1 });
  const topP = checkNumber('topP', s.topP ?? DECODING_FALLBACKS.topP, { min: 0, minExclusive: true, max: 1 });
  // greedy is plain argmax unless a penalty is asked for explicitly (parity with other libraries)
  const repetitionPenalty = positive(
    'repetitionPenalty',
    greedy && s.repetitionPenalty === undefined ? 1 : pick('repetitionPenalty'),
  );
  const joint = checkEnum('joint', s.joint ?? 'auto', ['auto', 'chain', 'heads'] as const);
  const preset = checkEnum('preset', pick('preset'), Object.keys(DYNAMO_PRESETS) as DynamoPreset[]);
  // the model's recommended DynaMo values belong to its recommended preset (none named: the paper's)
  const dynamo: { -readonly [K in keyof DynamoOptions]?: DynamoOptions[K] } = {
    ...recommendedDynamoOptions(decoding, preset),
  };
  if (s.epsilon !== undefined) dynamo.epsilon = checkNumber('epsilon', s.epsilon, { min: 0, max: 1 });
  if (s.alpha !== undefined) dynamo.alpha = checkNumber('alpha', s.alpha, { min: 0 });
  if (s.blur !== undefined) dynamo.blur = checkInteger('blur', s.blur, { min: 0 });
  if (s.headTemperature !== undefined) {
    dynamo.headTemperature =
      typeof s.headTemperature === 'number'
        ? positive('headTemperature', s.headTemperature)
        : Array.isArray(s.headTemperature)
          ? s.headTemperature.map((t, i) => positive(`headTemperature[${i}]`, t))
          : invalidOption('headTemperature', 'a number or an array of numbers', s.headTemperature);
  }
  if (s.renormalize !== undefined) {
    dynamo.renormalize = checkEnum('renormalize', s.renormalize, ['full', 'mass', 'none'] as const);
  }
  if (s.dynamo !== undefined) {
    if (typeof s.dynamo !== 'object' || s.dynamo === null) invalidOption('dynamo', 'an object', s.dynamo);
    Object.assign(dynamo, s.dynamo);
  }
  const minDraftProbability = checkNumber('minDraftProbability', pick('minDraftProbability'), { min: 0, max: 1 });
  const chainLength = checkInteger('chainLength', pick('chainLength'), { min: 1, max: 16 });
  const draftTemperatureRatio = checkNumber('draftTemperatureRatio', pick('draftTemperatureRatio'), {
    min: 0,
    minExclusive: true,
    max: 10,
  });
  const drafter = checkEnum('drafter', s.drafter ?? 'auto', DRAFTERS);
  const verification = checkEnum('verification', s.verification ?? 'auto', ['auto', 'match', 'speculative'] as const);
  const treeBudget =
    s.treeBudget === undefined ? undefined : checkInteger('treeBudget', s.treeBudget, { min: 1, max: 4096 });
  const assistantK =
    s.assistantK === undefined ? undefined : checkInteger('assistantK', s.assistantK, { min: 1, max: 16 });
  const assistantMinProbability =
    s.assistantMinProbability === undefined
      ? undefined
      : checkNumber('assistantMinProbability', s.assistantMinProbability, { min: 0, max: 1 });
  return {
    mode,
    greedy,
    temperature,
    topK,
    topP,
    repetitionPenalty,
    joint,
    preset,
    dynamo,
    minDraftProbability,
    chainLength,
    draftTemperatureRatio,
    drafter,
    verification,
    treeBudget,
    assistantK,
    assistantMinProbability,
  };
}
