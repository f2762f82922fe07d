import { DynamoError, DynamoErrorCode } from '@dynamojs/core';
import { type DecodingContext, type DecodingPlan, type DecodingSettings, resolveDecoding } from '@dynamojs/generate';

/** One row of `dynamo bench`: a decoding plan (or transformers.js), what it is compared with. */
export interface BenchConfig {
  readonly label: string;
  readonly mode: 'ar' | 'dynamo' | 'verified' | 'transformers';
  readonly baseline: string | undefined;
  /**
   * 'identical': the same tokens as its baseline for the same seed (checked); 'distribution':
   * exactly the baseline's distribution (speculative sampling); null: lossy.
   */
  readonly lossless: 'identical' | 'distribution' | null;
  /** Token-identity reference. */
  readonly sameAs?: string;
  /** What runs (every row but transformers.js). */
  readonly plan?: DecodingPlan;
}

/** What the rows are made of: the bench's flags. */
export interface BenchConfigRequest {
  readonly modes: readonly string[];
  /** The sampler flags shared by every row (temperature, top-k, repetition penalty, alpha, blur). */
  readonly settings: DecodingSettings;
  readonly epsilons: readonly number[];
  /** `--min-draft-p`: undefined = the model's; 'none' = no chain rows. */
  readonly chainThresholds: readonly number[] | 'none' | undefined;
  readonly budgets: readonly number[] | undefined;
  readonly paper: boolean;
  readonly verifiedSampling: boolean;
  readonly transformers: boolean;
  /** `--assistant PATH` was given: verified rows drafted by the assistant model. */
  readonly assistant?: boolean;
}

/**
 * The bench's rows, each a {@link resolveDecoding} plan with explicit settings — the same resolver
 * `dynamo generate` runs, so the `verified` row is exactly `generate --mode verified --greedy`.
 */
export function benchConfigs(r: BenchConfigRequest, context: DecodingContext): BenchConfig[] {
  const heads = context.heads ?? 1;
  const hasHead = context.draftHead !== undefined && context.draftHead !== false;
  const hasTables = context.tables !== undefined && context.tables !== false;
  const plan = (s: DecodingSettings) => resolveDecoding({ ...r.settings, ...s }, context);
  const wantDynamo = r.modes.includes('dynamo');
  const wantVerified = r.modes.includes('verified');
  const wantVerifiedSampling = wantVerified && r.verifiedSampling;
  const configs: BenchConfig[] = [];
  const greedyRow = (label: string, s: DecodingSettings): BenchConfig => ({
    label,
    mode: 'verified',
    baseline: 'ar-greedy',
    sameAs: 'ar-greedy',
    lossless: 'identical',
    plan: plan({ mode: 'verified', greedy: true, ...s }),
  });
  const budgets = r.budgets ?? [undefined];
  if (r.modes.includes('ar') || wantDynamo || wantVerifiedSampling) {
    configs.push({ label: 'ar', mode: 'ar', baseline: undefined, lossless: 'identical', plan: plan({ mode: 'ar' }) });
  }
  if (wantDynamo) {
    // DynaMo with the draft head (base-only graph + draft head), at the model's threshold unless given
    if (hasHead && r.chainThresholds !== 'none') {
      const thresholds = r.chainThresholds ?? [plan({ mode: 'dynamo', joint: 'chain' }).settings.minDraftProbability];
      for (const p of thresholds) {
        configs.push({
          label: `dynamo-chain@${p}`,
          mode: 'dynamo',
          baseline: 'ar',
          lossless: null,
          plan: plan({ mode: 'dynamo', joint: 'chain', minDraftProbability: p }),
        });
      }
    } else if (Array.isArray(r.chainThresholds)) {
      throw new DynamoError(DynamoErrorCode.INVALID_OPTION, '--min-draft-p needs a model folder with a draft head.', {
        details: { option: 'min-draft-p' },
      });
    }
    const heads: [string, DecodingSettings][] = r.epsilons.map((epsilon) => [`dynamo@${epsilon}`, { epsilon }]);
    if (r.paper) heads.push(['paper@0.5', { preset: 'paper', epsilon: 0.5 }]);
    for (const [label, s] of heads) {
      configs.push({
        label,
        mode: 'dynamo',
        baseline: 'ar',
        lossless: null,
        plan: plan({ mode: 'dynamo', joint: 'heads', ...s }),
      });
    }
  }
  if (wantVerified || r.transformers) {
    configs.push({
      label: 'ar-greedy',
      mode: 'ar',
      baseline: undefined,
      lossless: 'identical',
      plan: plan({ mode: 'ar', greedy: true }),
    });
  }
  if (wantVerified) {
    // 'verified' is what `dynamo generate --mode verified --greedy` runs (the resolver's choice)
    configs.push(greedyRow('verified', budgets[0] === undefined ? {} : { treeBudget: budgets[0] }));
    if (heads > 1 && hasTables) {
      for (const budget of budgets) {
        const b = budget ?? plan({ mode: 'verified', drafter: 'tree' }).treeBudget;
        configs.push(
          greedyRow(`verified-tree@${b}`, { drafter: 'tree', ...(budget !== undefined && { treeBudget: budget }) }),
        );
      }
    }
    if (heads > 1) configs.push(greedyRow('verified-chain', { drafter: 'top1' }));
    if (heads > 1 && hasTables) configs.push(greedyRow('verified-dynamo-chain', { drafter: 'dynamo' }));
    // drafts for any causal LM: n-gram tables + prompt lookup on the base-only graph
    configs.push(greedyRow('verified-ngram', { drafter: 'ngram' }));
    if (hasHead) configs.push(greedyRow('verified-head', { drafter: 'head' }));
    if (r.assistant === true) {
      configs.push({
        ...greedyRow('verified-assistant', {}),
        plan: resolveDecoding(
          { ...r.settings, mode: 'verified', greedy: true, drafter: 'assistant' },
          { ...context, assistant: true },
        ),
      });
    }
  }
  if (wantVerifiedSampling) {
    // lossless sampling: 'match' gives exactly ar's tokens for the same seed, 'speculative' ar's
    // distribution; DynaMo trees where the model has tables and heads, else top-1 chains, else n-gram
    const drafter = {
      drafter: heads > 1 && hasTables ? ('tree' as const) : heads > 1 ? ('top1' as const) : ('ngram' as const),
    };
    const budget = budgets[0] === undefined ? {} : { treeBudget: budgets[0] };
    configs.push({
      label: 'verified-sampling',
      mode: 'verified',
      baseline: 'ar',
      sameAs: 'ar',
      lossless: 'identical',
      plan: plan({ mode: 'verified', verification: 'match', ...drafter, ...budget }),
    });
    configs.push({
      label: 'verified-speculative',
      mode: 'verified',
      baseline: 'ar',
      lossless: 'distribution',
      plan: plan({ mode: 'verified', verification: 'speculative', ...drafter, ...budget }),
    });
    if (hasHead) {
      // draft-head chains checked by speculative sampling (the resolver's default when sampling)
      configs.push({
        label: 'verified-head-speculative',
        mode: 'verified',
        baseline: 'ar',
        lossless: 'distribution',
        plan: plan({ mode: 'verified', drafter: 'head', verification: 'speculative' }),
      });
    }
    if (r.assistant === true) {
      // assistant chains sampled from its processed distribution, checked by speculative sampling
      configs.push({
        label: 'verified-assistant-speculative',
        mode: 'verified',
        baseline: 'ar',
        lossless: 'distribution',
        plan: resolveDecoding(
          { ...r.settings, mode: 'verified', drafter: 'assistant', verification: 'speculative' },
          { ...context, assistant: true },
        ),
      });
    }
  }
  if (r.transformers) {
    configs.push({
      label: 'transformers.js',
      mode: 'transformers',
      baseline: 'ar-greedy',
      sameAs: 'ar-greedy',
      lossless: 'identical',
    });
  }
  return configs;
}
