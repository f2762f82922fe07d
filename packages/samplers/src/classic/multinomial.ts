import { DynamoError, DynamoErrorCode, type Rng } from '@dynamojs/core';
import { softmax } from './softmax.js';

// Every vocabulary-sized loop is its own small function ending in `return` (see argmax.ts).

/**
 * Draws an index with probability proportional to `weights[i]` (non-negative, need not sum to 1)
 * using one `rng.next()`. Zero-weight entries are never chosen, even under floating-point
 * round-off. Throws DYNAMO_SAMPLER when the weights do not have a positive finite sum (all masked)
 * or contain a negative or NaN weight. No allocation.
 *
 * @param total the sum of the weights when the caller already knows it (skips one pass)
 */
export function multinomial(weights: ArrayLike<number>, rng: Rng, total?: number): number {
  let sum = total;
  if (sum === undefined) {
    sum = sumWeights(weights);
    if (sum < 0) {
      const i = -1 - sum;
      const w = weights[i];
      throw new DynamoError(
        DynamoErrorCode.SAMPLER,
        `multinomial: weight ${String(w)} at index ${i} is negative or NaN.`,
        {
          details: { index: i, actual: w },
        },
      );
    }
  }
  if (!(sum > 0) || !Number.isFinite(sum)) {
    throw new DynamoError(
      DynamoErrorCode.SAMPLER,
      `multinomial: the weights sum to ${String(sum)}; every token is masked or the weights are invalid.`,
      { details: { actual: sum } },
    );
  }
  const index = drawIndex(weights, rng.next() * sum);
  if (index < 0) {
    throw new DynamoError(DynamoErrorCode.SAMPLER, 'multinomial: no weight is positive; every token is masked.', {
      details: { actual: sum },
    });
  }
  return index;
}

/** Sum of the weights, or −1 − i for the first negative or NaN weight i. */
function sumWeights(weights: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] as number;
    if (!(w >= 0)) return -1 - i;
    sum += w;
  }
  return sum;
}

/**
 * First index where the running sum of positive weights exceeds x (round-off: the last positive).
 * Accumulates in a local rather than decrementing the parameter: TurboFan keeps a reassigned
 * parameter tagged in the loop and boxes a heap number per iteration.
 */
function drawIndex(weights: ArrayLike<number>, x: number): number {
  let acc = 0;
  let last = -1;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] as number;
    if (w > 0) {
      acc += w;
      last = i;
      if (acc > x) return i;
    }
  }
  return last;
}

/**
 * Softmax of `logits` into `scratch` (length ≥ logits.length; default a new array) and a
 * multinomial draw from it. Masked (`-Infinity`) tokens are never drawn; all masked →
 * DYNAMO_SAMPLER. No allocation when `scratch` has exactly the row's length.
 */
export function multinomialFromLogits(logits: ArrayLike<number>, rng: Rng, scratch?: Float32Array): number {
  const probs = softmax(
    logits,
    scratch && scratch.length !== logits.length ? scratch.subarray(0, logits.length) : scratch,
  );
  return multinomial(probs, rng);
}
