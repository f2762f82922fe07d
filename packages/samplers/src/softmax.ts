import { allMaskedError } from './checkLogits.js';

/**
 * Softmax of a logits row into `out` (default: a new Float32Array; `out` may be the input row
 * itself for an in-place transform). `-Infinity` logits get probability 0. Sums are accumulated
 * in double precision. Throws DYNAMO_SAMPLER when every logit is `-Infinity`.
 *
 * Pass a reused `out` in hot paths: the function then allocates nothing.
 */
export function softmax(logits: ArrayLike<number>, out?: Float32Array): Float32Array {
  const n = logits.length;
  const dst = out ?? new Float32Array(n);
  const max = maxOf(logits);
  if (max === Number.NEGATIVE_INFINITY) throw allMaskedError('softmax');
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp((logits[i] as number) - max);
    dst[i] = e;
    sum += e;
  }
  // Re-read the rounded float32 values? No: divide the stored exps; the error is < 1 ulp of float32.
  const inv = 1 / sum;
  for (let i = 0; i < n; i++) dst[i] = (dst[i] as number) * inv;
  return dst;
}

/** log-sum-exp of a logits row (`-Infinity` when every entry is `-Infinity`). No allocation. */
export function logSumExp(logits: ArrayLike<number>): number {
  const max = maxOf(logits);
  if (max === Number.NEGATIVE_INFINITY) return max;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i] as number) - max);
  return max + Math.log(sum);
}

/**
 * Log-softmax into `out` (default: a new Float32Array; may alias the input). Masked entries stay
 * `-Infinity`. Throws DYNAMO_SAMPLER when every logit is `-Infinity`.
 */
export function logSoftmax(logits: ArrayLike<number>, out?: Float32Array): Float32Array {
  const n = logits.length;
  const dst = out ?? new Float32Array(n);
  const lse = logSumExp(logits);
  if (lse === Number.NEGATIVE_INFINITY) throw allMaskedError('logSoftmax');
  for (let i = 0; i < n; i++) dst[i] = (logits[i] as number) - lse;
  return dst;
}

/**
 * Shannon entropy (nats) of the softmax of a logits row, without materialising the probabilities.
 * Masked entries contribute 0. Throws DYNAMO_SAMPLER when every logit is `-Infinity`.
 */
export function entropy(logits: ArrayLike<number>): number {
  const lse = logSumExp(logits);
  if (lse === Number.NEGATIVE_INFINITY) throw allMaskedError('entropy');
  let h = 0;
  for (let i = 0; i < logits.length; i++) {
    const l = (logits[i] as number) - lse;
    if (l !== Number.NEGATIVE_INFINITY) h -= Math.exp(l) * l;
  }
  return h;
}

/** Largest entry (`-Infinity` for an empty or all-masked row; NaN entries are skipped). */
export function maxOf(values: ArrayLike<number>): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v > max) max = v;
  }
  return max;
}
