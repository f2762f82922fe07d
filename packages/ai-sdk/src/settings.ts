import { InvalidArgumentError } from '@ai-sdk/provider';
import type { MultiTokenModel, TextTokenizer } from '@dynamojs/core';
import { DRAFTERS, type DrafterKind, type GenerationMode } from '@dynamojs/generate';
import type { DeviceRequest, LoadOptions } from '@dynamojs/onnx';
import type { CoOccurrenceTables } from '@dynamojs/samplers';

/**
 * How one generation runs. Set at three levels, the later winning: the provider
 * (`createDynamojs(settings)`), the model (`dynamojs(id, settings)`) and the call
 * (`providerOptions: { dynamojs: { … } }`).
 */
export interface DynamojsGenerationSettings {
  /**
   * `'dynamo'` (default): several tokens per forward pass, lossy by design — on a model with a draft
   * head (model-tiny) the chain sampler (`minDraftProbability` trades speed for quality), else the
   * DynaMo heads' sampler (1–3 tokens, `epsilon`). `'ar'`: one token per pass on the base-only graph — the
   * baseline. `'verified'`: lossless draft-and-verify — exactly `'ar'`'s distribution (its tokens
   * with `verification: 'match'`, or greedy); see `drafter`.
   */
  readonly mode?: GenerationMode;
  /**
   * The DynaMo sampler's preset (`'dynamo'` only): `'calibrated'` (default: the n-gram is drawn from
   * the whole masked joint, extra heads at temperature 1, a context penalty) or `'paper'` (Algorithm 1
   * read literally). Default: the model's, else `'calibrated'`.
   */
  readonly preset?: 'calibrated' | 'paper';
  /**
   * DynaMo's threshold ε_b in [0, 1] (`'dynamo'` only). Default: the model's recommendation when it
   * is for this preset, else the preset's (0.1 `'calibrated'`, 0.5 `'paper'`).
   */
  readonly epsilon?: number;
  /**
   * `'dynamo'` only: `'chain'` (default when the model ships a draft head and the call samples) runs
   * the base-only graph and continues each pass with the draft head (`dynamoChain`); `'heads'` runs
   * the DynaMo heads' sampler on the multi-head graph. Temperature 0 always uses the heads' top-1.
   */
  readonly joint?: 'chain' | 'heads';
  /**
   * The chain sampler's back-off threshold in [0, 1] (`'dynamo'` with the draft head only). Default:
   * the model's recommendation (model-tiny: 0.1), else 0.2.
   */
  readonly minDraftProbability?: number;
  /** On every head's logits, in every mode; > 0, 1 = off. Default: the model's, else 1.1 (1 at temperature 0). */
  readonly repetitionPenalty?: number;
  /** Strength of DynaMo's co-occurrence weighting, ≥ 0 (`'dynamo'` only). Default: the model's, else 1. */
  readonly alpha?: number;
  /** Blur kernel of DynaMo's adaptive threshold: 0, 1 or odd (`'dynamo'` only). Default: the model's, else 3. */
  readonly blur?: number;
  /**
   * `'verified'` only: what drafts. `'auto'` (default): the best lossless drafter for the model and
   * device (@dynamojs/generate's `resolveDecoding`: the draft head's chains when the call samples
   * and the model ships one; greedy on a CPU/WASM n-gram + prompt-lookup drafts on the base-only
   * graph; DynaMo candidate trees on a GPU; the `assistant` model whenever one is set). `'tree'`,
   * `'ngram'`, `'head'`, `'assistant'`, `'top1'`, `'dynamo'`, `'dynamo-sample'`: that drafter (see
   * the CLI's `--drafter`).
   */
  readonly drafter?: DrafterKind;
  /**
   * `'verified'` only: `'match'` (exactly `'ar'`'s tokens for the same seed), `'speculative'`
   * (exactly `'ar'`'s distribution; accepts sampled drafts more often) or `'auto'` (default:
   * speculative for drafters that report their distribution, the draft head's when sampling).
   */
  readonly verification?: 'auto' | 'match' | 'speculative';
  /** `'verified'` only: drafted nodes per pass of tree and n-gram drafts, 1..4096. Default: 8 on the CPU/WASM, 24 on a GPU. */
  readonly treeBudget?: number;
  /** `'verified'` with an `assistant`: its first draft length, 1..16 (default 4; then +2 / −1 per pass). */
  readonly assistantK?: number;
  /** `'verified'` with an `assistant`: a draft stops below this top probability, [0, 1] (default 0.4). */
  readonly assistantMinProbability?: number;
  /**
   * A prompt longer than the model's context: `'none'` (default) fails with DYNAMO_CONTEXT_OVERFLOW,
   * `'left'` drops the oldest tokens.
   */
  readonly truncate?: 'none' | 'left';
}

/** Options of `@dynamojs/onnx`'s `loadModel`, passed through (the provider sets device and tokenizer). */
export type DynamojsLoadOptions = Omit<LoadOptions, 'device' | 'tokenizer' | 'baseOnly' | 'signal'>;

/** Settings of one model: how it is loaded, and its generation defaults. */
export interface DynamojsModelSettings extends DynamojsGenerationSettings {
  /**
   * Where the model runs. Node: `'auto'` (default: cuda → webgpu → cpu), `'cpu'`, `'cuda'`,
   * `'webgpu'`. Browsers: `'auto'` (webgpu → wasm), `'webgpu'`, `'wasm'`.
   */
  readonly device?: DeviceRequest;
  /** More options for `@dynamojs/onnx`'s `loadModel` (e.g. `wasm`, `sessionOptions`, `variant`). */
  readonly loadOptions?: DynamojsLoadOptions;
  /**
   * Assistant-model speculative decoding (`mode: 'verified'`): a small model with the same
   * vocabulary drafts the chains this model verifies — a folder path or URL (loaded like a model,
   * on the same device, its base-only graph), or a `MultiTokenModel` you loaded (never disposed by
   * the provider). `drafter: 'auto'` then picks it.
   */
  readonly assistant?: string | URL | MultiTokenModel;
  /**
   * The most generations that run at once on the loaded model (an integer ≥ 1); further calls wait
   * in line, first come first served (a call aborted while it waits leaves the line). Concurrent
   * generations share the model's session and weights, each with its own KV cache. Default: 4 on
   * the CPU and CUDA, 1 on WebGPU and WASM. Set once per loaded model: the first model object to
   * run a call on it decides.
   */
  readonly maxConcurrency?: number;
}

/** A model you loaded yourself (any `MultiTokenModel`), registered under an id with `models`. */
export interface DynamojsModelBundle {
  readonly model: MultiTokenModel;
  readonly tokenizer: TextTokenizer;
  /** Co-occurrence tables for the DynaMo sampler's masking (without them it runs unmasked). */
  readonly tables?: CoOccurrenceTables;
  /** A base-only (1-head) model for `mode: 'ar'` (default: `model`, with its extra heads skipped). */
  readonly baseModel?: MultiTokenModel;
}

export interface DynamojsProviderSettings extends DynamojsModelSettings {
  /**
   * Extra model ids: a folder path or URL each (loaded on first use), or a model you loaded
   * yourself. `'model-tiny'` is built in (the bundled reference model in Node); an entry here
   * replaces it.
   */
  readonly models?: Readonly<Record<string, string | URL | DynamojsModelBundle>>;
  /**
   * The AI SDK language model specification the models implement: `'v4'` (default; `ai` 7) or
   * `'v3'` (`ai` 6 — `ai` 7 accepts it too).
   */
  readonly specificationVersion?: 'v3' | 'v4';
}

const MODES: readonly GenerationMode[] = ['ar', 'dynamo', 'verified'];
const DEVICES: readonly DeviceRequest[] = ['auto', 'cpu', 'cuda', 'webgpu', 'wasm'];
const GENERATION_KEYS = [
  'mode',
  'preset',
  'epsilon',
  'joint',
  'minDraftProbability',
  'repetitionPenalty',
  'alpha',
  'blur',
  'drafter',
  'verification',
  'treeBudget',
  'assistantK',
  'assistantMinProbability',
  'truncate',
] as const;
const MODEL_KEYS = [...GENERATION_KEYS, 'device', 'loadOptions', 'assistant', 'maxConcurrency'] as const;
const PROVIDER_KEYS = [...MODEL_KEYS, 'models', 'specificationVersion'] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(argument: string, message: string): never {
  throw new InvalidArgumentError({ argument, message: `${argument}: ${message}` });
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

function checkKeys(where: string, value: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      invalid(`${where}.${key}`, `unknown setting (known: ${known.join(', ')}).`);
    }
  }
}

function checkNumber(where: string, value: unknown, range: { min: number; max?: number; minExclusive?: boolean }) {
  const { min, max, minExclusive } = range;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    (minExclusive ? value <= min : value < min) ||
    (max !== undefined && value > max)
  ) {
    const bounds =
      max === undefined ? `${minExclusive ? '>' : '≥'} ${min}` : `in ${minExclusive ? '(' : '['}${min}, ${max}]`;
    invalid(where, `must be a number ${bounds}, got ${describe(value)}.`);
  }
}

function checkOneOf<T extends string>(where: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    invalid(where, `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}.`);
  }
  return value as T;
}

/** Validates generation settings (`where` names them in errors). Throws InvalidArgumentError. */
export function checkGenerationSettings(
  where: string,
  value: unknown,
  known: readonly string[] = GENERATION_KEYS,
): DynamojsGenerationSettings {
  if (value === undefined) return {};
  if (!isRecord(value)) invalid(where, `must be an object, got ${describe(value)}.`);
  checkKeys(where, value, known);
  if (value.mode !== undefined) checkOneOf(`${where}.mode`, value.mode, MODES);
  if (value.preset !== undefined) checkOneOf(`${where}.preset`, value.preset, ['calibrated', 'paper']);
  if (value.epsilon !== undefined) checkNumber(`${where}.epsilon`, value.epsilon, { min: 0, max: 1 });
  if (value.joint !== undefined) checkOneOf(`${where}.joint`, value.joint, ['chain', 'heads']);
  if (value.minDraftProbability !== undefined) {
    checkNumber(`${where}.minDraftProbability`, value.minDraftProbability, { min: 0, max: 1 });
  }
  if (value.repetitionPenalty !== undefined) {
    checkNumber(`${where}.repetitionPenalty`, value.repetitionPenalty, { min: 0, minExclusive: true });
  }
  if (value.alpha !== undefined) checkNumber(`${where}.alpha`, value.alpha, { min: 0 });
  if (value.blur !== undefined) {
    const blur = value.blur;
    if (typeof blur !== 'number' || !Number.isInteger(blur) || blur < 0 || (blur > 1 && blur % 2 === 0)) {
      invalid(`${where}.blur`, `must be 0, 1 or an odd kernel size, got ${describe(blur)}.`);
    }
  }
  if (value.drafter !== undefined) checkOneOf(`${where}.drafter`, value.drafter, DRAFTERS);
  if (value.verification !== undefined) {
    checkOneOf(`${where}.verification`, value.verification, ['auto', 'match', 'speculative']);
  }
  if (value.treeBudget !== undefined) {
    const b = value.treeBudget;
    if (typeof b !== 'number' || !Number.isInteger(b) || b < 1 || b > 4096) {
      invalid(`${where}.treeBudget`, `must be an integer in 1..4096, got ${describe(b)}.`);
    }
  }
  if (value.assistantK !== undefined) {
    const k = value.assistantK;
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > 16) {
      invalid(`${where}.assistantK`, `must be an integer in 1..16, got ${describe(k)}.`);
    }
  }
  if (value.assistantMinProbability !== undefined) {
    checkNumber(`${where}.assistantMinProbability`, value.assistantMinProbability, { min: 0, max: 1 });
  }
  if (value.truncate !== undefined) checkOneOf(`${where}.truncate`, value.truncate, ['none', 'left']);
  return value as DynamojsGenerationSettings;
}

/** Validates a model's settings (the second argument of `dynamojs(id, settings)`). */
export function checkModelSettings(where: string, value: unknown, known: readonly string[] = MODEL_KEYS) {
  const settings = checkGenerationSettings(where, value, known) as DynamojsModelSettings;
  if (settings.device !== undefined) checkOneOf(`${where}.device`, settings.device, DEVICES);
  if (settings.loadOptions !== undefined && !isRecord(settings.loadOptions)) {
    invalid(`${where}.loadOptions`, `must be an object, got ${describe(settings.loadOptions)}.`);
  }
  const c = settings.maxConcurrency as unknown;
  if (c !== undefined && !(typeof c === 'number' && Number.isInteger(c) && c >= 1)) {
    invalid(`${where}.maxConcurrency`, `must be an integer ≥ 1, got ${describe(c)}.`);
  }
  const a = settings.assistant as unknown;
  if (a !== undefined) {
    const model = a as { forward?: unknown; createCache?: unknown; metadata?: unknown };
    const ok =
      (typeof a === 'string' && a.length > 0) ||
      a instanceof URL ||
      (isRecord(a) &&
        typeof model.forward === 'function' &&
        typeof model.createCache === 'function' &&
        isRecord(model.metadata));
    if (!ok) {
      invalid(`${where}.assistant`, `must be a model folder path, a URL or a MultiTokenModel, got ${describe(a)}.`);
    }
  }
  return settings;
}

/** Validates the provider's settings (`createDynamojs(settings)`). */
export function checkProviderSettings(value: unknown): DynamojsProviderSettings {
  const where = 'createDynamojs(settings)';
  const settings = checkModelSettings(where, value, PROVIDER_KEYS) as DynamojsProviderSettings;
  if (settings.specificationVersion !== undefined) {
    checkOneOf(`${where}.specificationVersion`, settings.specificationVersion, ['v3', 'v4']);
  }
  if (settings.models !== undefined) {
    if (!isRecord(settings.models)) invalid(`${where}.models`, `must be an object, got ${describe(settings.models)}.`);
    for (const [id, entry] of Object.entries(settings.models)) {
      const ok =
        typeof entry === 'string' ||
        entry instanceof URL ||
        (isRecord(entry) && isRecord(entry.model) && isRecord(entry.tokenizer));
      if (!ok || id === '') {
        invalid(
          `${where}.models[${JSON.stringify(id)}]`,
          `must be a folder path, a URL or { model, tokenizer, tables?, baseModel? }, got ${describe(entry)}.`,
        );
      }
    }
  }
  return settings;
}
