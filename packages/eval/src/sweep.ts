import {
  checkInteger,
  checkNumber,
  DynamoError,
  DynamoErrorCode,
  type MultiTokenModel,
  type TextTokenizer,
  throwIfAborted,
} from '@dynamojs/core';
import { generate } from '@dynamojs/generate';
import type { CoOccurrenceTables } from '@dynamojs/samplers';
import { distinctN } from './distinctN.js';
import { oracleSurprisal } from './oracleNll.js';
import { repetitionRate } from './repetition.js';
import {
  defaultSamplerFactory,
  type EvalSamplerFactory,
  type EvalSamplerSettings,
  resolveSamplerSettings,
} from './samplerFactory.js';
import { DEFAULT_EPSILONS, type SweepConfiguration, sweepConfigurations } from './sweepConfig.js';
import { resumableSamples, type SampleRecord, type SweepResults, sampleKey } from './sweepResults.js';

/** Progress of {@link runSweep}: after every generation (run or skipped as already present). */
export interface SweepProgress {
  readonly done: number;
  readonly total: number;
  /** Samples taken from the previous results so far. */
  readonly skipped: number;
  readonly config: string;
  readonly prompt: string;
  readonly seed: number;
}

export interface SweepOptions {
  /** The multi-head model (dynamo and verified). */
  readonly model: MultiTokenModel;
  /**
   * The base-only model: runs `ar` (the honest baseline: no head layers) and scores the oracle
   * NLL. Default: `model` (its head 0).
   */
  readonly baseModel?: MultiTokenModel;
  readonly tokenizer: TextTokenizer;
  /** Prompt texts (a repeated prompt is run once). */
  readonly prompts: readonly string[];
  /** Default [1, 2, 3]. */
  readonly seeds?: readonly number[];
  /** eps_b values of the sweep. Default 0, 0.05, …, 1. */
  readonly epsilons?: readonly number[];
  /** New tokens per continuation (eos ignored, so every run is this long). Default 64. */
  readonly maxNewTokens?: number;
  /** Shared sampler settings (temperature, top-k, alpha, blur, repetition penalty). */
  readonly settings?: Partial<EvalSamplerSettings>;
  /** Co-occurrence tables for the DynaMo sampler's masking (default factory). */
  readonly tables?: CoOccurrenceTables;
  /** Builds each configuration's sampler; default {@link defaultSamplerFactory}(tables). */
  readonly samplerFactory?: EvalSamplerFactory;
  /** Ablation rows at eps_b = 0.5 (default true). */
  readonly ablations?: boolean;
  /**
   * `chain@p` rows — DynaMo with the draft head at these back-off thresholds, run on `baseModel`,
   * which must have a draft head (DYNAMO_INVALID_OPTION otherwise). Default: none.
   */
  readonly chainThresholds?: readonly number[];
  /** The lossless `verified` row (default true). */
  readonly verified?: boolean;
  /** Replaces the configuration list (ar must be among them: it is every speed-up's baseline). */
  readonly configurations?: readonly SweepConfiguration[];
  /** Untimed warm-up generations per configuration before timing (default 1; 0 = none). */
  readonly warmup?: number;
  /** A partial results object of the same setup: its samples are kept and not generated again. */
  readonly previous?: SweepResults;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: SweepProgress) => void;
  /** Called with the results so far after every (prompt, seed) round that generated something. */
  readonly onCheckpoint?: (partial: SweepResults) => void | Promise<void>;
}

/**
 * Runs every configuration (ar, dynamo at each eps_b, the ablation rows, verified) on every
 * prompt × seed and measures each continuation: oracle NLL under the base model, repetition,
 * distinct-1/2, tokens per pass, emitted-token histogram and generation time. The configurations
 * are interleaved per (prompt, seed) so that slow phases of a shared machine hit all of them alike.
 * Browser-safe: the models come in from outside.
 */
export async function runSweep(options: SweepOptions): Promise<SweepResults> {
  const { model, tokenizer } = options;
  const base = options.baseModel ?? model;
  if (base.metadata.vocabSize !== model.metadata.vocabSize) {
    throw new DynamoError(
      DynamoErrorCode.VOCAB_MISMATCH,
      `The base model's vocabulary (${base.metadata.vocabSize}) differs from the model's (${model.metadata.vocabSize}).`,
      { details: { field: 'vocabSize', expected: model.metadata.vocabSize, actual: base.metadata.vocabSize } },
    );
  }
  // Samples are keyed by prompt text: a repeated prompt is run once.
  const prompts = [...new Set(options.prompts)];
  if (prompts.length === 0 || prompts.some((p) => typeof p !== 'string' || p.trim() === '')) {
    throw new DynamoError(DynamoErrorCode.INVALID_OPTION, 'The eval needs at least one prompt and no empty prompt.', {
      details: { option: 'prompts' },
    });
  }
  const seeds = (options.seeds ?? [1, 2, 3]).map((s, i) => checkNumber(`seeds[${i}]`, s));
  if (seeds.length === 0) {
    throw new DynamoError(DynamoErrorCode.INVALID_OPTION, 'The seed list is empty.', { details: { option: 'seeds' } });
  }
  const maxNewTokens = checkInteger('maxNewTokens', options.maxNewTokens ?? 64, { min: 1 });
  const warmup = checkInteger('warmup', options.warmup ?? 1, { min: 0 });
  const settings = resolveSamplerSettings(options.settings);
  const masked = options.tables !== undefined;
  const configurations = options.configurations
    ? [...options.configurations]
    : sweepConfigurations({
        epsilons: options.epsilons ?? DEFAULT_EPSILONS,
        ...(options.ablations !== undefined && { ablations: options.ablations }),
        ...(options.verified !== undefined && { verified: options.verified }),
        ...(options.chainThresholds !== undefined && { chainThresholds: options.chainThresholds }),
        hasTables: masked,
      });
  if (configurations.some((c) => c.kind === 'chain') && base.draftHead === undefined) {
    throw new DynamoError(
      DynamoErrorCode.INVALID_OPTION,
      'The chain rows (DynaMo with a draft head) need a base model with a draft head (baseModel.draftHead).',
      { details: { option: 'chainThresholds' } },
    );
  }
  if (!configurations.some((c) => c.id === 'ar' && c.mode === 'ar')) {
    throw new DynamoError(DynamoErrorCode.INVALID_OPTION, 'The configurations must include "ar", the baseline.', {
      details: { option: 'configurations' },
    });
  }
  const factory = options.samplerFactory ?? defaultSamplerFactory(options.tables);
  const modelInfo = { name: model.metadata.name, heads: model.metadata.heads, vocabSize: model.metadata.vocabSize };
  const kept = options.previous
    ? resumableSamples(options.previous, { model: modelInfo, settings, maxNewTokens, masked })
    : new Map<string, SampleRecord>();
  const started = options.previous?.started ?? new Date().toISOString();
  const encoded = prompts.map((p) => tokenizer.encode(p));

  const samples = new Map<string, SampleRecord>();
  const snapshot = (complete: boolean): SweepResults => ({
    format: 'dynamo-eval',
    version: 1,
    model: modelInfo,
    device: model.metadata.device ?? null,
    masked,
    settings,
    maxNewTokens,
    prompts,
    seeds,
    configurations,
    samples: [...samples.values()],
    started,
    updated: new Date().toISOString(),
    complete,
  });

  const runOne = async (config: SweepConfiguration, ids: number[], seed: number, n: number) => {
    const { sampler, drafter, processors, verifier } = factory(config, settings);
    return generate({
      model: config.mode === 'ar' || config.kind === 'chain' ? base : model,
      tokenizer,
      inputIds: ids,
      mode: config.mode,
      sampler,
      ...(processors && { processors }),
      ...(drafter && { drafter }),
      ...(verifier && { verifier }),
      maxNewTokens: n,
      eos: false,
      seed,
      truncate: 'left',
      ...(options.signal && { signal: options.signal }),
    });
  };

  const total = prompts.length * seeds.length * configurations.length;
  const remaining = total - countPresent(kept, configurations, prompts, seeds);
  if (remaining > 0) {
    for (let w = 0; w < warmup; w++) {
      for (const c of configurations)
        await runOne(c, encoded[w % encoded.length] as number[], 0, Math.min(16, maxNewTokens));
    }
  }
  let done = 0;
  let skipped = 0;
  for (const [p, prompt] of prompts.entries()) {
    const ids = encoded[p] as number[];
    for (const seed of seeds) {
      let generated = false;
      for (const config of configurations) {
        throwIfAborted(options.signal, 'eval run');
        const key = sampleKey(config.id, prompt, seed);
        const old = kept.get(key);
        if (old) {
          samples.set(key, old);
          skipped++;
        } else {
          const r = await runOne(config, ids, seed, maxNewTokens);
          if (r.aborted) throwIfAborted(options.signal, 'eval run');
          const emitted: number[] = [];
          for (const s of r.steps) if (s > 0) emitted[s - 1] = (emitted[s - 1] ?? 0) + 1;
          for (let i = 0; i < emitted.length; i++) emitted[i] ??= 0;
          const surprisal = await oracleSurprisal(base, r.promptIds, r.tokens);
          let sum = 0;
          for (const v of surprisal) sum += v;
          samples.set(key, {
            config: config.id,
            prompt,
            seed,
            tokens: r.tokens,
            text: r.text,
            nll: surprisal.length ? sum / surprisal.length : 0,
            surprisal: Array.from(surprisal, (v) => Math.round(v * 1000) / 1000),
            repetition: repetitionRate(r.tokens),
            distinct1: distinctN(r.tokens, 1),
            distinct2: distinctN(r.tokens, 2),
            forwardPasses: r.stats.forwardPasses,
            tokensPerPass: r.stats.tokensPerPass,
            emitted,
            ...(r.stats.acceptance && {
              acceptance: { proposed: [...r.stats.acceptance.proposed], accepted: [...r.stats.acceptance.accepted] },
            }),
            ms: r.stats.prefillMs + r.stats.decodeMs,
            finishReason: r.finishReason,
          });
          generated = true;
        }
        done++;
        options.onProgress?.({ done, total, skipped, config: config.id, prompt, seed });
      }
      if (generated && options.onCheckpoint) await options.onCheckpoint(snapshot(false));
    }
  }
  return snapshot(true);
}

function countPresent(
  kept: Map<string, SampleRecord>,
  configurations: readonly SweepConfiguration[],
  prompts: readonly string[],
  seeds: readonly number[],
): number {
  let n = 0;
  for (const c of configurations) {
    for (const p of prompts) for (const s of seeds) if (kept.has(sampleKey(c.id, p, s))) n++;
  }
  return n;
}
