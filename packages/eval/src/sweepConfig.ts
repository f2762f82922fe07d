import { checkNumber, DynamoError, DynamoErrorCode } from '@dynamojs/core';
import type { GenerationMode } from '@dynamojs/generate';
import type { DynamoOptions } from '@dynamojs/samplers';

/** What a configuration is for in the report. */
export type SweepKind = 'baseline' | 'sweep' | 'chain' | 'ablation' | 'verified';

/** One decoding configuration of an eval run; every (prompt, seed) is generated with each. */
export interface SweepConfiguration {
  /** Unique id, also the key in the results: 'ar', 'dynamo@0.5', 'ablation:mask', 'verified'. */
  readonly id: string;
  readonly kind: SweepKind;
  readonly mode: GenerationMode;
  /** eps_b of a dynamo configuration. */
  readonly epsilon?: number;
  /**
   * `chain` rows: DynaMo with the model's draft head (samplers' `dynamoChain`) at this back-off
   * threshold (`minDraftProbability`); run on the base-only model with its draft head.
   */
  readonly minDraftProbability?: number;
  /** DynaMo sampler options over the shared settings (ablations). */
  readonly dynamo?: Partial<DynamoOptions>;
  /** Human-readable label for tables and plots. */
  readonly label: string;
  /** Needs co-occurrence tables (masking). */
  readonly needsTables?: boolean;
  /** `verified` rows: what drafts ('chain': per-head top-1; 'tree': DynaMo candidate trees). */
  readonly drafter?: 'chain' | 'tree';
  /** `verified` rows: how drafts are checked (default 'match'). */
  readonly verification?: 'match' | 'speculative';
}

/** One row of the paper's ablation (its Table 9, eps_b = 0.5), with the paper's win rate. */
export interface AblationVariant {
  readonly name: string;
  readonly label: string;
  readonly options: Partial<DynamoOptions>;
  readonly needsTables: boolean;
  /** Win rate vs the base model of DynaMo-7.3B-T3 in the paper. */
  readonly paperWinRate: number;
}

/**
 * The ablation of issue 7 / the paper's Table 9 at eps_b = 0.5, run with the paper-literal preset
 * (`preset: 'paper'`). Static threshold, repetition penalty and back-off stay on in every row.
 * (samplers' DYNAMO_ABLATIONS drops the adaptive threshold in its alpha-0.5 and no-mask presets;
 * here they keep adaptive threshold + blur, as the issue lists them.)
 */
export const EVAL_ABLATIONS: readonly AblationVariant[] = [
  {
    name: 'full',
    label: 'mask + adaptive threshold + blur',
    options: { preset: 'paper' },
    needsTables: true,
    paperWinRate: 0.98,
  },
  {
    name: 'mask-adaptive',
    label: 'mask + adaptive threshold',
    options: { preset: 'paper', blur: 0 },
    needsTables: true,
    paperWinRate: 0.96,
  },
  {
    name: 'mask',
    label: 'mask only',
    options: { preset: 'paper', adaptiveThreshold: false, blur: 0 },
    needsTables: true,
    paperWinRate: 0.82,
  },
  {
    name: 'alpha-0.5',
    label: 'alpha 0.5 + adaptive threshold + blur',
    options: { preset: 'paper', alpha: 0.5 },
    needsTables: true,
    paperWinRate: 0.77,
  },
  {
    name: 'no-mask',
    label: 'adaptive threshold + blur, no mask',
    options: { preset: 'paper', mask: false },
    needsTables: false,
    paperWinRate: 0.38,
  },
];

/** eps_b of the ablation table. */
export const ABLATION_EPSILON = 0.5;

/** 0, 0.05, …, 1 (the sweep), rounded to avoid 0.30000000000000004. */
export const DEFAULT_EPSILONS: readonly number[] = Array.from({ length: 21 }, (_, i) => Math.round(i * 5) / 100);

export interface ConfigurationOptions {
  readonly epsilons?: readonly number[];
  /**
   * `chain@p` rows (DynaMo with the draft head) at these back-off thresholds, in [0, 1]; default
   * none. Give them when the base model has a draft head.
   */
  readonly chainThresholds?: readonly number[];
  /** Add the ablation rows (default true). */
  readonly ablations?: boolean;
  /** Add `verified` (lossless draft-and-verify with the ar sampler; default true). */
  readonly verified?: boolean;
  /** Whether co-occurrence tables are available: without them masked rows are left out. */
  readonly hasTables: boolean;
}

export function dynamoId(epsilon: number): string {
  return `dynamo@${epsilon}`;
}

/** The id of a chain row (DynaMo with the draft head) at a back-off threshold. */
export function chainId(minDraftProbability: number): string {
  return `chain@${minDraftProbability}`;
}

/** The back-off thresholds of the chain rows when a model has a draft head. */
export const DEFAULT_CHAIN_THRESHOLDS: readonly number[] = [0, 0.1, 0.2, 0.3, 0.5, 0.7];

/** The id of the paper-literal row at eps_b (the ablation table's full method). */
export function paperId(epsilon: number): string {
  return `paper@${epsilon}`;
}

/**
 * The configurations of an eval run: `ar` (the baseline), `dynamo@eps` for every eps_b (the
 * settings' preset, 'calibrated' by default), the paper-literal ablation rows at eps_b = 0.5
 * (`paper@0.5` is the full method) and `verified`. Throws DYNAMO_INVALID_OPTION for an empty or
 * out-of-range eps list.
 */
export function sweepConfigurations(options: ConfigurationOptions): SweepConfiguration[] {
  const epsilons = options.epsilons ?? DEFAULT_EPSILONS;
  if (epsilons.length === 0) {
    throw new DynamoError(DynamoErrorCode.INVALID_OPTION, 'The eps_b list is empty.', {
      details: { option: 'epsilons' },
    });
  }
  const configs: SweepConfiguration[] = [{ id: 'ar', kind: 'baseline', mode: 'ar', label: 'ar (base model)' }];
  const seen = new Set<string>(['ar']);
  const masked = options.hasTables;
  for (const [i, e] of epsilons.entries()) {
    const epsilon = checkNumber(`epsilons[${i}]`, e, { min: 0, max: 1 });
    const id = dynamoId(epsilon);
    if (seen.has(id)) continue;
    seen.add(id);
    configs.push({
      id,
      kind: 'sweep',
      mode: 'dynamo',
      epsilon,
      label: `dynamo eps_b ${epsilon}${masked ? '' : ' (no mask)'}`,
      needsTables: masked,
    });
  }
  for (const [i, t] of (options.chainThresholds ?? []).entries()) {
    const minDraftProbability = checkNumber(`chainThresholds[${i}]`, t, { min: 0, max: 1 });
    const id = chainId(minDraftProbability);
    if (seen.has(id)) continue;
    seen.add(id);
    configs.push({
      id,
      kind: 'chain',
      mode: 'dynamo',
      minDraftProbability,
      label: `dynamo, draft head, min draft p ${minDraftProbability}`,
    });
  }
  if (options.ablations ?? true) {
    for (const v of EVAL_ABLATIONS) {
      if (v.needsTables && !masked) continue;
      const id = ablationId(v);
      if (seen.has(id)) continue;
      seen.add(id);
      configs.push({
        id,
        kind: 'ablation',
        mode: 'dynamo',
        epsilon: ABLATION_EPSILON,
        dynamo: v.options,
        label: v.name === 'full' ? `paper (literal) eps_b ${ABLATION_EPSILON}` : `paper ablation: ${v.label}`,
        needsTables: v.needsTables,
      });
    }
  }
  if (options.verified ?? true) {
    configs.push({
      id: 'verified',
      kind: 'verified',
      mode: 'verified',
      drafter: 'chain',
      label: "verified, top-1 chains (lossless: ar's tokens)",
    });
    if (masked) {
      configs.push({
        id: 'verified-tree',
        kind: 'verified',
        mode: 'verified',
        drafter: 'tree',
        needsTables: true,
        label: "verified, DynaMo trees (lossless: ar's tokens)",
      });
      configs.push({
        id: 'verified-tree-speculative',
        kind: 'verified',
        mode: 'verified',
        drafter: 'tree',
        verification: 'speculative',
        needsTables: true,
        label: "verified, DynaMo trees, speculative (lossless: ar's distribution)",
      });
    }
  }
  return configs;
}

/** The configuration id that holds an ablation variant's samples. */
export function ablationId(variant: AblationVariant): string {
  return variant.name === 'full' ? paperId(ABLATION_EPSILON) : `ablation:${variant.name}`;
}
