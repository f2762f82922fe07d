import { allMaskedError } from './checkLogits.js';

/**
 * Index of the largest value; ties go to the lowest index. NaN entries are never chosen.
 * `-Infinity` entries (masked) are never chosen: when every entry is masked (or the row is empty)
 * a DYNAMO_SAMPLER error is thrown instead of silently returning a token. No allocation.
 */
export function argmax(values: ArrayLike<number>): number {
  const best = argmaxOrMinusOne(values);
  if (best < 0) throw allMaskedError('argmax');
  return best;
}

/**
 * The loop of {@link argmax}: -1 when no entry is above -Infinity.
 *
 * Performance note (applies to every vocabulary-sized loop in this package): each such loop sits
 * in a small function whose only statement after the loop is `return`. V8 compiles a long loop
 * on-stack (OSR) during its first call, before the code after the loop has ever run; in Node 20
 * that OSR code is re-entered on every later call and deoptimises each time it reaches code
 * without type feedback — a 2–10× slowdown and garbage per call. A bare `return` needs no feedback.
 */
export function argmaxOrMinusOne(values: ArrayLike<number>): number {
  let best = -1;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}
