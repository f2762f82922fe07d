import { meanInterval } from './meanInterval.js';
import { type SurprisalComparison, surprisalTest } from './surprisalTest.js';

/** One generated continuation's measurements, paired with the baseline by (prompt, seed). */
export interface SampleMetrics {
  readonly prompt: string;
  readonly seed: number;
  /** Mean oracle NLL per token under the base model. */
  readonly nll: number;
  /** Share of repeated 3-grams. */
  readonly repetition: number;
  /** distinct-2 (unique bigrams / bigrams). Without it the distinct-2 test is not run. */
  readonly distinct2?: number;
  /** Per-token surprisal under the base model. Without it the two-sample test is not run. */
  readonly surprisal?: ArrayLike<number>;
}

/**
 * The same-quality criterion, in one place: a configuration has the quality of `ar` when, paired
 * with `ar`'s continuation of the same prompt and seed,
 *
 * 1. **oracle NLL**: the upper end of the 95% CI of the mean paired NLL difference is ≤
 *    `nllTolerance` × ar's mean NLL (5%) — not less likely under the base model;
 * 2. **repetition**: mean share of repeated 3-grams ≤ ar's + `repetitionTolerance` (0.01);
 * 3. **diversity**: mean distinct-2 ≥ ar's − `distinct2Tolerance` (0.02);
 * 4. **surprisal distribution**: a two-sample permutation test of the per-token surprisals under
 *    the base model (Kolmogorov–Smirnov distance, {@link surprisalTest}) does not reject at
 *    `surprisalAlpha` (0.05) — so text that is only alike on average, or more predictable than ar's
 *    (which test 1 alone would welcome), does not pass.
 */
export interface SameQualityCriterion {
  readonly nllTolerance?: number;
  readonly repetitionTolerance?: number;
  readonly distinct2Tolerance?: number;
  readonly surprisalAlpha?: number;
  /** Permutations of the two-sample test (default 999). */
  readonly permutations?: number;
}

export const SAME_QUALITY_CRITERION: Required<SameQualityCriterion> = {
  nllTolerance: 0.05,
  repetitionTolerance: 0.01,
  distinct2Tolerance: 0.02,
  surprisalAlpha: 0.05,
  permutations: 999,
};

export interface SameQualityVerdict {
  /** True when every test that could run passed (and there was at least one pair). */
  readonly same: boolean;
  /** Mean paired NLL difference (candidate − baseline) with its 95% interval. */
  readonly nllDiff: { mean: number; low: number; high: number };
  readonly nllLimit: number;
  readonly nllPass: boolean;
  readonly repetitionDiff: number;
  readonly repetitionLimit: number;
  readonly repetitionPass: boolean;
  /** Mean distinct-2 difference (candidate − baseline); null when not measured. */
  readonly distinct2Diff: number | null;
  readonly distinct2Limit: number;
  readonly distinct2Pass: boolean | null;
  /** The two-sample test of the surprisal distributions; null when surprisals were not recorded. */
  readonly surprisal: SurprisalComparison | null;
  readonly surprisalPass: boolean | null;
  readonly pairs: number;
}

/**
 * Applies the same-quality criterion ({@link SameQualityCriterion}) to a candidate configuration
 * against the baseline, pairing continuations by prompt and seed.
 */
export function sameQuality(
  baseline: readonly SampleMetrics[],
  candidate: readonly SampleMetrics[],
  criterion: SameQualityCriterion = {},
): SameQualityVerdict {
  const c = { ...SAME_QUALITY_CRITERION, ...criterion };
  const key = (s: SampleMetrics) => `${s.seed}\u0000${s.prompt}`;
  const base = new Map(baseline.map((s) => [key(s), s]));
  const diffs: number[] = [];
  let repCandidate = 0;
  let repBase = 0;
  let baseNll = 0;
  let d2Candidate = 0;
  let d2Base = 0;
  let d2Pairs = 0;
  const surprisalPairs: [ArrayLike<number>, ArrayLike<number>][] = [];
  let surprisalMissing = false;
  for (const cand of candidate) {
    const b = base.get(key(cand));
    if (!b) continue;
    diffs.push(cand.nll - b.nll);
    repCandidate += cand.repetition;
    repBase += b.repetition;
    baseNll += b.nll;
    if (cand.distinct2 !== undefined && b.distinct2 !== undefined) {
      d2Candidate += cand.distinct2;
      d2Base += b.distinct2;
      d2Pairs++;
    }
    if (cand.surprisal !== undefined && b.surprisal !== undefined) surprisalPairs.push([cand.surprisal, b.surprisal]);
    else surprisalMissing = true;
  }
  const pairs = diffs.length;
  const ci = meanInterval(diffs);
  const nllLimit = pairs ? (c.nllTolerance * baseNll) / pairs : Number.NaN;
  const repetitionDiff = pairs ? (repCandidate - repBase) / pairs : Number.NaN;
  const distinct2Diff = d2Pairs === pairs && pairs > 0 ? (d2Candidate - d2Base) / pairs : null;
  const identical = candidate === baseline;
  const surprisal =
    !surprisalMissing && surprisalPairs.length > 0 && !identical
      ? surprisalTest(surprisalPairs, { permutations: c.permutations })
      : null;
  const nllPass = pairs > 0 && ci.high <= nllLimit;
  const repetitionPass = pairs > 0 && repetitionDiff <= c.repetitionTolerance;
  const distinct2Pass = distinct2Diff === null ? null : distinct2Diff >= -c.distinct2Tolerance;
  const surprisalPass = identical ? true : surprisal === null ? null : surprisal.pValue >= c.surprisalAlpha;
  return {
    same: pairs > 0 && nllPass && repetitionPass && distinct2Pass !== false && surprisalPass !== false,
    nllDiff: { mean: ci.mean, low: ci.low, high: ci.high },
    nllLimit,
    nllPass,
    repetitionDiff,
    repetitionLimit: c.repetitionTolerance,
    repetitionPass,
    distinct2Diff,
    distinct2Limit: c.distinct2Tolerance,
    distinct2Pass,
    surprisal,
    surprisalPass,
    pairs,
  };
}

/** The largest speed-up among configurations that meet the same-quality criterion (1 if none). */
export function sameQualitySpeedup(points: readonly { speedup: number; same: boolean }[]): number {
  return points.reduce((best, p) => (p.same && p.speedup > best ? p.speedup : best), 1);
}
