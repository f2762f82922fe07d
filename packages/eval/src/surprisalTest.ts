import { createRng } from '@dynamojs/core';

/** Result of {@link surprisalTest}. */
export interface SurprisalComparison {
  /** Kolmogorov–Smirnov distance between the pooled per-token surprisals (0 … 1). */
  readonly ks: number;
  /** Permutation p-value of that distance (small: the distributions differ). */
  readonly pValue: number;
  /** Pairs (continuations) compared and tokens on each side. */
  readonly pairs: number;
  readonly tokens: readonly [number, number];
  /** Deciles 0.1 … 0.9 of the candidate's and the baseline's surprisal. */
  readonly deciles: { readonly candidate: readonly number[]; readonly baseline: readonly number[] };
}

/**
 * Two-sample test of the per-token surprisal distributions under the base model (candidate vs
 * baseline) — so that "same quality" cannot be met by text that is only alike on average (e.g.
 * half near-certain tokens and half very surprising ones).
 *
 * Statistic: the Kolmogorov–Smirnov distance between the pooled surprisals. Tokens of one
 * continuation are not independent, so the null distribution comes from permutations at the level
 * of continuations: each (prompt, seed) pair's two continuations swap sides with probability ½
 * (`permutations` times, seeded). p = (1 + #{D_perm ≥ D}) / (1 + permutations).
 */
export function surprisalTest(
  pairs: readonly (readonly [ArrayLike<number>, ArrayLike<number>])[],
  options: { permutations?: number; seed?: number } = {},
): SurprisalComparison {
  const permutations = options.permutations ?? 999;
  const rng = createRng(options.seed ?? 1);
  const n = pairs.length;
  const cand = pool(pairs.map((p) => p[0]));
  const base = pool(pairs.map((p) => p[1]));
  const d = ksDistance(cand, base);
  let atLeast = 0;
  const a: ArrayLike<number>[] = new Array(n);
  const b: ArrayLike<number>[] = new Array(n);
  for (let k = 0; k < permutations; k++) {
    for (let i = 0; i < n; i++) {
      const [x, y] = pairs[i] as readonly [ArrayLike<number>, ArrayLike<number>];
      const swap = rng.next() < 0.5;
      a[i] = swap ? y : x;
      b[i] = swap ? x : y;
    }
    if (ksDistance(pool(a), pool(b)) >= d - 1e-12) atLeast++;
  }
  return {
    ks: d,
    pValue: (1 + atLeast) / (1 + permutations),
    pairs: n,
    tokens: [cand.length, base.length],
    deciles: { candidate: deciles(cand), baseline: deciles(base) },
  };
}

/** All values, sorted ascending. */
function pool(runs: readonly ArrayLike<number>[]): Float64Array {
  let total = 0;
  for (const r of runs) total += r.length;
  const out = new Float64Array(total);
  let o = 0;
  for (const r of runs) for (let i = 0; i < r.length; i++) out[o++] = r[i] as number;
  return out.sort();
}

/** sup |F_x − F_y| of two sorted samples. */
export function ksDistance(x: Float64Array, y: Float64Array): number {
  if (x.length === 0 || y.length === 0) return x.length === y.length ? 0 : 1;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i] as number, y[j] as number);
    while (i < x.length && (x[i] as number) <= v) i++;
    while (j < y.length && (y[j] as number) <= v) j++;
    const gap = Math.abs(i / x.length - j / y.length);
    if (gap > d) d = gap;
  }
  return d;
}

function deciles(sorted: Float64Array): number[] {
  const out: number[] = [];
  for (let q = 1; q <= 9; q++) {
    out.push(
      sorted.length
        ? (sorted[Math.min(sorted.length - 1, Math.floor((q / 10) * sorted.length))] as number)
        : Number.NaN,
    );
  }
  return out;
}
