/**
 * Otsu's threshold over `values[0..count)`: the histogram split (`bins` equal-width bins between
 * the smallest and largest value) that maximises the between-class variance, weighting every value
 * by one (as pixels are). Returns the threshold t: values ≥ t form the upper class. Returns
 * -Infinity when there is nothing to split (no values, or all equal): keep everything.
 * O(count + bins); `histogram` (length ≥ bins) is scratch, so no allocation when it is passed.
 */
export function otsuThreshold(
  values: ArrayLike<number>,
  count = values.length,
  bins = 256,
  histogram: Float64Array = new Float64Array(bins),
): number {
  const out = new Float64Array(1);
  otsuThresholdInto(values, count, bins, histogram, out);
  return out[0] as number;
}

/**
 * {@link otsuThreshold} writing its result to `out[0]` (a returned double would be boxed by V8 in
 * the hot path; this allocates nothing).
 */
export function otsuThresholdInto(
  values: ArrayLike<number>,
  count: number,
  bins: number,
  histogram: Float64Array,
  out: Float64Array,
): void {
  out[0] = otsuCore(values, count, bins, histogram);
}

function otsuCore(values: ArrayLike<number>, count: number, bins: number, histogram: Float64Array): number {
  if (count < 2) return Number.NEGATIVE_INFINITY;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < count; i++) {
    const v = values[i] as number;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi > lo)) return Number.NEGATIVE_INFINITY;
  const range = hi - lo;
  histogram.fill(0, 0, bins);
  let totalSum = 0;
  for (let i = 0; i < count; i++) {
    const b = Math.min(bins - 1, Math.floor((((values[i] as number) - lo) / range) * bins));
    histogram[b] = (histogram[b] as number) + 1;
    totalSum += b;
  }
  // Class statistics over bin indices (the values' affine image: same argmax).
  let w0 = 0;
  let sum0 = 0;
  let best = -1;
  let bestIndex = 0;
  for (let t = 0; t < bins - 1; t++) {
    const h = histogram[t] as number;
    w0 += h;
    sum0 += t * h;
    const w1 = count - w0;
    if (w0 === 0 || w1 === 0) continue;
    const m0 = sum0 / w0;
    const m1 = (totalSum - sum0) / w1;
    const between = w0 * w1 * (m0 - m1) * (m0 - m1);
    if (between > best) {
      best = between;
      bestIndex = t;
    }
  }
  // Upper class: bins > bestIndex, i.e. values ≥ the bin's upper edge.
  const t = lo + range * ((bestIndex + 1) / bins);
  // Subnormal ranges can round the edge down onto the minimum: then keep only the maximum.
  return t > lo && t <= hi ? t : hi;
}
