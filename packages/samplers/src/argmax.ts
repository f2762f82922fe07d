import { allMaskedError } from './checkLogits.js';

/**
 * Index of the largest value; ties go to the lowest index. NaN entries are never chosen.
 * `-Infinity` entries (masked) are never chosen: when every entry is masked (or the row is empty)
 * a DYNAMO_SAMPLER error is thrown instead of silently returning a token. No allocation.
 */
export function argmax(values: ArrayLike<number>): number {
  let best = -1;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  if (best < 0) throw allMaskedError('argmax');
  return best;
}
