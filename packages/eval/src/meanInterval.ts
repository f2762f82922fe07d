/** Mean and a two-sided 95% confidence interval (Student's t) of a sample. */
export interface MeanInterval {
  readonly mean: number;
  readonly low: number;
  readonly high: number;
  readonly n: number;
  readonly sd: number;
}

// Two-sided 95% Student-t critical values for df = 1..30; beyond 30 the normal 1.96 is close enough.
const T95 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11,
  2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export function meanInterval(values: readonly number[]): MeanInterval {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, low: Number.NaN, high: Number.NaN, n, sd: Number.NaN };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, low: mean, high: mean, n, sd: 0 };
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const t = n - 1 <= 30 ? (T95[n - 2] as number) : 1.96;
  const half = (t * sd) / Math.sqrt(n);
  return { mean, low: mean - half, high: mean + half, n, sd };
}
