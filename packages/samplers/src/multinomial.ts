import { DynamoError, DynamoErrorCode, type Rng } from '@dynamojs/core';
import { softmax } from './softmax.js';

/**
 * Draws an index with probability proportional to `weights[i]` (non-negative, need not sum to 1)
 * using one `rng.next()`. Zero-weight entries are never chosen, even under floating-point
 * round-off. Throws DYNAMO_SAMPLER when the weights do not have a positive finite sum (all masked)
 * or contain a negative or NaN weight. No allocation.
 *
 * @param total the sum of the weights when the caller already knows it (skips one pass)
 */
export function multinomial(weights: ArrayLike<number>, rng: Rng, total?: number): number {
  const n = weights.length;
  let sum = total;
  if (sum === undefined) {
    sum = 0;
    for (let i = 0; i < n; i++) {
      const w = weights[i] as number;
      if (!(w >= 0)) {
        throw new DynamoError(DynamoErrorCode.SAMPLER, `multinomial: weight ${String(w)} at index ${i} is negative or NaN.`, {
          details: { index: i, actual: w },
        });
      }
      sum += w;
    }
  }
  if (!(sum > 0) || !Number.isFinite(sum)) {
    throw new DynamoError(
      DynamoErrorCode.SAMPLER,
      `multinomial: the weights sum to ${String(sum)}; every token is masked or the weights are invalid.`,
      { details: { actual: sum } },
    );
  }
  let x = rng.next() * sum;
  let last = -1;
  for (let i = 0; i < n; i++) {
    const w = weights[i] as number;
    if (w > 0) {
      x -= w;
      last = i;
      if (x < 0) return i;
    }
  }
  // Round-off left a sliver of mass: the last token with positive weight takes it.
  return last;
}

/**
 * Softmax of `logits` into `scratch` (length ≥ logits.length; default a new array) and a
 * multinomial draw from it. Masked (`-Infinity`) tokens are never drawn; all masked →
 * DYNAMO_SAMPLER. No allocation when `scratch` is given.
 */
export function multinomialFromLogits(logits: ArrayLike<number>, rng: Rng, scratch?: Float32Array): number {
  const probs = softmax(logits, scratch && scratch.length !== logits.length ? scratch.subarray(0, logits.length) : scratch);
  return multinomial(probs, rng);
}
