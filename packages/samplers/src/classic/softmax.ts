import { allMaskedError } from './checkLogits.js';

// Every vocabulary-sized loop is its own small function ending in `return` (see argmax.ts).

/**
 * Softmax of a logits row into `out` (default: a new Float32Array; `out` may be the input row
 * itself for an in-place transform). `-Infinity` logits get probability 0 (without computing an
 * exponential: after top-k most of the row is masked). Sums are accumulated in double precision.
 * Throws DYNAMO_SAMPLER when every logit is `-Infinity`.
 *
 * Pass a reused `out` in hot paths: the function then allocates nothing.
 */
export function softmax(logits: ArrayLike<number>, out?: Float32Array): Float32Array {
  const dst = out ?? new Float32Array(logits.length);
  const max = maxOf(logits);
  if (max === Number.NEGATIVE_INFINITY) throw allMaskedError('softmax');
  const sum = expShiftInto(logits, max, dst);
  scaleInPlace(dst, logits.length, 1 / sum);
  return dst;
}

/** log-sum-exp of a logits row (`-Infinity` when every entry is `-Infinity`). No allocation. */
export function logSumExp(logits: ArrayLike<number>): number {
  const max = maxOf(logits);
  if (max === Number.NEGATIVE_INFINITY) return max;
  return max + Math.log(sumExpShift(logits, max));
}

/**
 * Log-softmax into `out` (default: a new Float32Array; may alias the input). Masked entries stay
 * `-Infinity`. Throws DYNAMO_SAMPLER when every logit is `-Infinity`.
 */
export function logSoftmax(logits: ArrayLike<number>, out?: Float32Array): Float32Array {
  const dst = out ?? new Float32Array(logits.length);
  const lse = logSumExp(logits);
  if (lse === Number.NEGATIVE_INFINITY) throw allMaskedError('logSoftmax');
  shiftInto(logits, lse, dst);
  return dst;
}

/**
 * Shannon entropy (nats) of the softmax of a logits row, without materialising the probabilities.
 * Masked entries contribute 0. Throws DYNAMO_SAMPLER when every logit is `-Infinity`.
 */
export function entropy(logits: ArrayLike<number>): number {
  const lse = logSumExp(logits);
  if (lse === Number.NEGATIVE_INFINITY) throw allMaskedError('entropy');
  return entropyGivenLse(logits, lse);
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

/** dst[i] = exp(logits[i] − max) (0 for -Infinity); returns the sum. */
function expShiftInto(logits: ArrayLike<number>, max: number, dst: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const l = logits[i] as number;
    if (l === Number.NEGATIVE_INFINITY) {
      dst[i] = 0;
    } else {
      const e = Math.exp(l - max);
      dst[i] = e;
      sum += e;
    }
  }
  return sum;
}

function scaleInPlace(dst: Float32Array, n: number, factor: number): void {
  for (let i = 0; i < n; i++) dst[i] = (dst[i] as number) * factor;
}

function sumExpShift(logits: ArrayLike<number>, max: number): number {
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const l = logits[i] as number;
    if (l !== Number.NEGATIVE_INFINITY) sum += Math.exp(l - max);
  }
  return sum;
}

function shiftInto(logits: ArrayLike<number>, shift: number, dst: Float32Array): void {
  for (let i = 0; i < logits.length; i++) dst[i] = (logits[i] as number) - shift;
}

function entropyGivenLse(logits: ArrayLike<number>, lse: number): number {
  let h = 0;
  for (let i = 0; i < logits.length; i++) {
    const l = (logits[i] as number) - lse;
    if (l !== Number.NEGATIVE_INFINITY) h -= Math.exp(l) * l;
  }
  return h;
}
