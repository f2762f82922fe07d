import { createRng, isDynamoError, type Rng, type StepView } from '@dynamojs/core';
import { expect } from 'vitest';

/** Random logits, N(0, scale²)-ish (sum of uniforms), from a seeded RNG. */
export function randomLogits(rng: Rng, n: number, scale = 3): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng.next() + rng.next() + rng.next() - 1.5) * 2 * scale;
  return out;
}

/** A StepView over fixed per-head logits rows. */
export function makeView(
  rows: readonly Float32Array[],
  options: { history?: ArrayLike<number>; rng?: Rng; maxTokens?: number; step?: number } = {},
): StepView {
  const history = Int32Array.from(options.history ?? []);
  return {
    vocabSize: (rows[0] as Float32Array).length,
    heads: rows.length,
    maxTokens: options.maxTokens ?? rows.length,
    logits: (h: number) => {
      const row = rows[h];
      if (row === undefined) throw new RangeError(`no head ${h}`);
      return row;
    },
    history,
    promptLength: history.length,
    step: options.step ?? 0,
    rng: options.rng ?? createRng(0),
  };
}

/** Runs `fn` and asserts it throws a DynamoError with `code`; returns the error. */
export function expectDynamoError(
  fn: () => unknown,
  code: string,
): { code: string; message: string; details: Record<string, unknown> } {
  try {
    fn();
  } catch (e) {
    if (!isDynamoError(e)) throw e;
    expect(e.code).toBe(code);
    return e as unknown as { code: string; message: string; details: Record<string, unknown> };
  }
  throw new Error(`expected a DynamoError ${code}, nothing was thrown`);
}

/** Float64 softmax reference. */
export function refSoftmax(logits: ArrayLike<number>): number[] {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i] as number);
  const e = Array.from(logits, (l) => Math.exp(l - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

/** Indices sorted by value descending, ties to the lower index. */
export function refOrder(values: ArrayLike<number>): number[] {
  return Array.from({ length: values.length }, (_, i) => i).sort(
    (a, b) => (values[b] as number) - (values[a] as number) || a - b,
  );
}

/** Kept (finite) set of a processed row. */
export function keptSet(logits: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < logits.length; i++) if ((logits[i] as number) > Number.NEGATIVE_INFINITY) out.push(i);
  return out;
}

/** Chi-square statistic of observed counts against expected probabilities (cells with p > 0). */
export function chiSquare(
  counts: ArrayLike<number>,
  probs: ArrayLike<number>,
  total: number,
): { chi: number; df: number } {
  let chi = 0;
  let df = -1;
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i] as number;
    const o = counts[i] as number;
    if (p === 0) {
      if (o !== 0) return { chi: Number.POSITIVE_INFINITY, df: 0 };
      continue;
    }
    const e = p * total;
    chi += (o - e) ** 2 / e;
    df++;
  }
  return { chi, df };
}

/** 0.999 quantiles of chi-square (df → critical value), for fixed-seed statistical tests. */
export const CHI2_999: Record<number, number> = {
  1: 10.83,
  2: 13.82,
  3: 16.27,
  4: 18.47,
  5: 20.52,
  6: 22.46,
  7: 24.32,
  8: 26.12,
  9: 27.88,
  10: 29.59,
  11: 31.26,
  12: 32.91,
  13: 34.53,
  14: 36.12,
  15: 37.7,
  19: 43.82,
  20: 45.31,
  24: 51.18,
  29: 58.3,
  35: 66.62,
  48: 84.04,
  49: 85.35,
};

/** Largest absolute elementwise difference. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

/**
 * A toy deterministic language model: the logits after a prefix are pseudo-random but a pure
 * function of (seed, prefix). `sharpness` scales them (higher = peakier distributions).
 */
export function toyModel(vocab: number, seed: number, sharpness = 2): (prefix: ArrayLike<number>) => Float32Array {
  return (prefix) => {
    let h = (seed ^ 0x9e3779b9) >>> 0;
    for (let i = 0; i < prefix.length; i++) h = Math.imul(h ^ ((prefix[i] as number) + 0x7f4a7c15), 0x85ebca6b) >>> 0;
    return randomLogits(createRng(h), vocab, sharpness);
  };
}
