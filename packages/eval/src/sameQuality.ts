import { meanInterval } from './meanInterval.js';

/** One generated continuation's measurements, paired with the baseline by (prompt, seed). */
export interface SampleMetrics {
  readonly prompt: string;
  readonly seed: number;
  /** Mean oracle NLL per token under the base model. */
  readonly nll: number;
  /** Share of repeated 3-grams. */
  readonly repetition: number;
}

export interface SameQualityCriterion {
  /** Allowed relative increase of mean oracle NLL over the baseline (default 0.05 = 5%). */
  readonly nllTolerance?: number;
  /** Allowed absolute increase of the mean repetition rate (default 0.01). */
  readonly repetitionTolerance?: number;
}

export interface SameQualityVerdict {
  readonly same: boolean;
  /** Mean paired NLL difference (candidate − baseline) with its 95% interval. */
  readonly nllDiff: { mean: number; low: number; high: number };
  readonly nllLimit: number;
  readonly repetitionDiff: number;
  readonly repetitionLimit: number;
  readonly pairs: number;
}

/**
 * "Same quality" (docs/eval.md): pair each candidate continuation with the baseline's for the same
 * prompt and seed; the candidate has the same quality when the upper end of the 95% confidence
 * interval of the mean paired NLL difference is at most `nllTolerance` × the baseline's mean NLL,
 * and its mean repetition rate is at most the baseline's + `repetitionTolerance`.
 */
export function sameQuality(
  baseline: readonly SampleMetrics[],
  candidate: readonly SampleMetrics[],
  criterion: SameQualityCriterion = {},
): SameQualityVerdict {
  const nllTolerance = criterion.nllTolerance ?? 0.05;
  const repetitionTolerance = criterion.repetitionTolerance ?? 0.01;
  const key = (s: SampleMetrics) => `${s.seed}\u0000${s.prompt}`;
  const base = new Map(baseline.map((s) => [key(s), s]));
  const diffs: number[] = [];
  let repCandidate = 0;
  let repBase = 0;
  let baseNll = 0;
  for (const c of candidate) {
    const b = base.get(key(c));
    if (!b) continue;
    diffs.push(c.nll - b.nll);
    repCandidate += c.repetition;
    repBase += b.repetition;
    baseNll += b.nll;
  }
  const pairs = diffs.length;
  const ci = meanInterval(diffs);
  const nllLimit = pairs ? (nllTolerance * baseNll) / pairs : Number.NaN;
  const repetitionDiff = pairs ? (repCandidate - repBase) / pairs : Number.NaN;
  return {
    same: pairs > 0 && ci.high <= nllLimit && repetitionDiff <= repetitionTolerance,
    nllDiff: { mean: ci.mean, low: ci.low, high: ci.high },
    nllLimit,
    repetitionDiff,
    repetitionLimit: repetitionTolerance,
    pairs,
  };
}

/** The largest speed-up among configurations that meet the same-quality criterion (1 if none). */
export function sameQualitySpeedup(points: readonly { speedup: number; same: boolean }[]): number {
  return points.reduce((best, p) => (p.same && p.speedup > best ? p.speedup : best), 1);
}
