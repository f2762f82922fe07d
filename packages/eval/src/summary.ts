import { DynamoError, DynamoErrorCode } from '@dynamojs/core';
import { crossingSpeedup, type Judge, type JudgedText, oracleJudge, type WinRate, winRate } from './judge.js';
import { type MeanInterval, meanInterval } from './meanInterval.js';
import {
  SAME_QUALITY_CRITERION,
  type SameQualityCriterion,
  type SameQualityVerdict,
  type SampleMetrics,
  sameQuality,
  sameQualitySpeedup,
} from './sameQuality.js';
import { ablationId, EVAL_ABLATIONS, type SweepKind } from './sweepConfig.js';
import { type SampleRecord, type SweepResults, sampleKey } from './sweepResults.js';

/** Aggregates of one configuration over every prompt × seed. */
export interface ConfigurationSummary {
  readonly id: string;
  readonly label: string;
  readonly kind: SweepKind;
  readonly mode: string;
  readonly epsilon: number | null;
  /** `chain` rows: the back-off threshold (the draft head's minimum top probability). */
  readonly minDraftProbability?: number;
  readonly runs: number;
  readonly tokens: number;
  /** Oracle NLL per token: mean over continuations with its 95% interval. */
  readonly nll: MeanInterval;
  readonly repetition: number;
  readonly distinct1: number;
  readonly distinct2: number;
  /** Total tokens / total forward passes. */
  readonly tokensPerPass: number;
  /** Total tokens / total generation time. */
  readonly tokensPerSecond: number;
  /**
   * Speed-up over ar: the median over (prompt, seed) of this continuation's tokens/s divided by
   * ar's for the same prompt and seed, measured in the same run (robust to the preemption spikes of
   * a shared machine).
   */
  readonly speedup: number;
  /** tokensPerSecond / ar's tokensPerSecond (ratio of totals; sensitive to outliers). */
  readonly speedupTotal: number;
  /** Share of forward passes that emitted 1, 2, 3 tokens (index 0: one token). */
  readonly emissionShare: readonly number[];
  /** Paired same-quality verdict against ar. */
  readonly sameQuality: SameQualityVerdict;
  /** Judge's win rate against ar (pairs by prompt and seed). */
  readonly winRate: WinRate | null;
  /** verified only: continuations identical to ar's for the same prompt and seed. */
  readonly identicalToAr?: { readonly identical: number; readonly compared: number };
  /** verified only: what is lossless — 'identical' tokens (match) or the same 'distribution' (speculative). */
  readonly lossless?: 'identical' | 'distribution';
  /** verified only: per draft depth, the share of checked positions where a candidate was accepted. */
  readonly acceptance?: readonly number[];
}

/** One row of the ablation table (the paper's Table 9 at eps_b = 0.5). */
export interface AblationRow {
  readonly name: string;
  readonly label: string;
  readonly configuration: string;
  readonly paperWinRate: number;
  /** null when the run did not include it (e.g. no co-occurrence tables). */
  readonly summary: ConfigurationSummary | null;
}

export interface EvalSummary {
  readonly criterion: Required<SameQualityCriterion>;
  readonly judge: string | null;
  readonly rows: readonly ConfigurationSummary[];
  /** The dynamo sweep rows by ascending eps_b. */
  readonly sweep: readonly ConfigurationSummary[];
  /** Largest speed-up of a sweep row that meets the same-quality criterion (1 if none). */
  readonly sameQualitySpeedup: number;
  /** eps_b of that row (null if no row qualifies with a speed-up above 1). */
  readonly sameQualityEpsilon: number | null;
  /** eps_b of every sweep row that meets the criterion, whatever its speed-up. */
  readonly sameQualityEpsilons: readonly number[];
  /** Speed-up where the judge's win rate crosses 1.0 (paper's way), over the sweep rows. */
  readonly crossingSpeedup: number | null;
  readonly ablation: readonly AblationRow[];
  /** DynaMo with the draft head: the chain rows by ascending back-off threshold (empty without them). */
  readonly chain: readonly ConfigurationSummary[];
  /**
   * The chain row that meets the same-quality criterion with the most tokens per pass (the
   * hardware-independent speed), or null when none does.
   */
  readonly chainSameQuality: ConfigurationSummary | null;
  readonly verified: ConfigurationSummary | null;
  /** Every lossless row (verified chains, trees, speculative). */
  readonly lossless: readonly ConfigurationSummary[];
}

export interface SummaryOptions {
  readonly criterion?: SameQualityCriterion;
  /** Pairwise judge for the win rates (default the local oracleJudge(); null: no win rates). */
  readonly judge?: Judge | null;
}

/**
 * Aggregates an eval run: per configuration the quality metrics, tokens per pass, speed-up vs ar
 * (tokens/s ratio of the same run), emission shares, the same-quality verdict and the judge's win
 * rate; then the same-quality speed-up, the win-rate crossing speed-up and the ablation table.
 */
export async function summarizeSweep(results: SweepResults, options: SummaryOptions = {}): Promise<EvalSummary> {
  const criterion: Required<SameQualityCriterion> = { ...SAME_QUALITY_CRITERION, ...options.criterion };
  const judge = options.judge === undefined ? oracleJudge() : options.judge;
  const byConfig = new Map<string, SampleRecord[]>();
  for (const s of results.samples) {
    let list = byConfig.get(s.config);
    if (!list) byConfig.set(s.config, (list = []));
    list.push(s);
  }
  const ar = byConfig.get('ar');
  if (!ar || ar.length === 0) {
    throw new DynamoError(DynamoErrorCode.INVALID_OPTION, 'The results hold no "ar" sample: no baseline.', {
      details: { option: 'results' },
    });
  }
  const arByKey = new Map(ar.map((s) => [sampleKey('ar', s.prompt, s.seed), s]));
  const heads = Math.max(results.model.heads, ...results.samples.map((s) => s.emitted.length));
  const arTps = throughput(ar);
  const judged = (s: SampleRecord): JudgedText => ({
    prompt: s.prompt,
    text: s.text,
    nll: s.nll,
    repetition: s.repetition,
  });

  const rows: ConfigurationSummary[] = [];
  for (const config of results.configurations) {
    const list = byConfig.get(config.id);
    if (!list || list.length === 0) continue;
    const tokens = list.reduce((a, s) => a + s.tokens.length, 0);
    const passes = list.reduce((a, s) => a + s.forwardPasses, 0);
    const width = Math.max(heads, ...list.map((s) => s.emitted.length));
    const emitted = new Array<number>(width).fill(0);
    for (const s of list) for (const [i, c] of s.emitted.entries()) emitted[i] = (emitted[i] as number) + c;
    const steps = emitted.reduce((a, b) => a + b, 0);
    const paired = list.filter((s) => arByKey.has(sampleKey('ar', s.prompt, s.seed)));
    const baseline = paired.map((s) => arByKey.get(sampleKey('ar', s.prompt, s.seed)) as SampleRecord);
    const tps = throughput(list);
    let identicalToAr: ConfigurationSummary['identicalToAr'];
    let acceptance: number[] | undefined;
    if (config.kind === 'verified') {
      const identical = paired.filter((s, i) => sameTokens(s.tokens, (baseline[i] as SampleRecord).tokens)).length;
      identicalToAr = { identical, compared: paired.length };
      const proposed: number[] = [];
      const accepted: number[] = [];
      for (const s of list) {
        for (const [i, p] of (s.acceptance?.proposed ?? []).entries()) proposed[i] = (proposed[i] ?? 0) + p;
        for (const [i, a] of (s.acceptance?.accepted ?? []).entries()) accepted[i] = (accepted[i] ?? 0) + a;
      }
      acceptance = proposed.map((p, i) => (p > 0 ? (accepted[i] ?? 0) / p : 0));
    }
    rows.push({
      id: config.id,
      label: config.label,
      kind: config.kind,
      mode: config.mode,
      epsilon: config.epsilon ?? null,
      ...(config.minDraftProbability !== undefined && { minDraftProbability: config.minDraftProbability }),
      runs: list.length,
      tokens,
      nll: meanInterval(list.map((s) => s.nll)),
      repetition: mean(list.map((s) => s.repetition)),
      distinct1: mean(list.map((s) => s.distinct1)),
      distinct2: mean(list.map((s) => s.distinct2)),
      tokensPerPass: passes > 0 ? tokens / passes : 0,
      tokensPerSecond: tps,
      speedup: median(paired.map((c, i) => rate(c) / rate(baseline[i] as SampleRecord))),
      speedupTotal: arTps > 0 ? tps / arTps : Number.NaN,
      emissionShare: emitted.map((c) => (steps > 0 ? c / steps : 0)),
      sameQuality:
        config.id === 'ar'
          ? sameQuality(baseline, baseline, criterion)
          : sameQuality(metrics(baseline), metrics(paired), criterion),
      winRate: judge ? await winRate(judge, paired.map(judged), baseline.map(judged)) : null,
      ...(identicalToAr && { identicalToAr }),
      ...(config.kind === 'verified' && {
        lossless: config.verification === 'speculative' ? ('distribution' as const) : ('identical' as const),
      }),
      ...(acceptance && { acceptance }),
    });
  }
  const sweep = rows
    .filter((r) => r.kind === 'sweep' && r.epsilon !== null)
    .sort((a, b) => (a.epsilon as number) - (b.epsilon as number));
  const best = sameQualitySpeedup(sweep.map((r) => ({ speedup: r.speedup, same: r.sameQuality.same })));
  const bestRow = sweep.find((r) => r.sameQuality.same && r.speedup === best);
  const rowById = new Map(rows.map((r) => [r.id, r]));
  const chain = rows
    .filter((r) => r.kind === 'chain')
    .sort((a, b) => (a.minDraftProbability ?? 0) - (b.minDraftProbability ?? 0));
  const chainSame = chain.filter((r) => r.sameQuality.same);
  const chainSameQuality = chainSame.reduce<ConfigurationSummary | null>(
    (best, r) => (best === null || r.tokensPerPass > best.tokensPerPass ? r : best),
    null,
  );
  return {
    criterion,
    judge: judge?.name ?? null,
    rows,
    sweep,
    sameQualitySpeedup: best,
    sameQualityEpsilon: bestRow?.epsilon ?? null,
    sameQualityEpsilons: sweep.filter((r) => r.sameQuality.same).map((r) => r.epsilon as number),
    crossingSpeedup:
      judge && sweep.length
        ? crossingSpeedup(sweep.map((r) => ({ speedup: r.speedup, winRate: (r.winRate as WinRate).rate })))
        : null,
    ablation: EVAL_ABLATIONS.map((v) => ({
      name: v.name,
      label: v.label,
      configuration: ablationId(v),
      paperWinRate: v.paperWinRate,
      summary: rowById.get(ablationId(v)) ?? null,
    })),
    chain,
    chainSameQuality,
    verified: rows.find((r) => r.kind === 'verified') ?? null,
    lossless: rows.filter((r) => r.kind === 'verified'),
  };
}

function metrics(list: readonly SampleRecord[]): SampleMetrics[] {
  return list.map((s) => ({
    prompt: s.prompt,
    seed: s.seed,
    nll: s.nll,
    repetition: s.repetition,
    distinct2: s.distinct2,
    ...(s.surprisal !== undefined && { surprisal: s.surprisal }),
  }));
}

function throughput(list: readonly SampleRecord[]): number {
  const tokens = list.reduce((a, s) => a + s.tokens.length, 0);
  const ms = list.reduce((a, s) => a + s.ms, 0);
  return ms > 0 ? (tokens * 1000) / ms : 0;
}

function rate(s: SampleRecord): number {
  return s.ms > 0 ? s.tokens.length / s.ms : 0;
}

function median(values: readonly number[]): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const m = v.length >> 1;
  return v.length % 2 ? (v[m] as number) : ((v[m - 1] as number) + (v[m] as number)) / 2;
}

function mean(values: readonly number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN;
}

function sameTokens(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
