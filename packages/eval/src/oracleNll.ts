import { checkTokenIds, DynamoError, DynamoErrorCode, type MultiTokenModel } from '@dynamojs/core';
import { logSoftmaxAt } from './logSoftmaxAt.js';

/**
 * The surprisal −log p(x_t | x_<t) of every token of `continuation` after `prompt` under the
 * model's base head (head 0), teacher-forced in one pass — what the base model thinks of each
 * generated token. Their mean is the oracle NLL; their distribution is what the same-quality
 * criterion's two-sample test compares.
 */
export async function oracleSurprisal(
  model: MultiTokenModel,
  prompt: ArrayLike<number>,
  continuation: ArrayLike<number>,
): Promise<Float64Array> {
  const { vocabSize, contextLength } = model.metadata;
  checkTokenIds(prompt, vocabSize, 'prompt token');
  checkTokenIds(continuation, vocabSize, 'continuation token');
  if (prompt.length === 0) {
    throw new DynamoError(DynamoErrorCode.INVALID_OPTION, 'oracleNll needs a prompt of at least one token.', {
      details: { option: 'prompt' },
    });
  }
  if (continuation.length === 0) return new Float64Array(0);
  const ids = new Int32Array(prompt.length + continuation.length);
  ids.set(Array.from(prompt));
  ids.set(Array.from(continuation), prompt.length);
  // Keep the most recent context if the sequence is longer than the model's window.
  const start = Math.max(0, ids.length - contextLength);
  const cache = model.createCache();
  try {
    const result = await model.forward(ids.subarray(start), cache, { positions: 'all', headPositions: 'none' });
    const first = Math.max(prompt.length, start + 1);
    const out = new Float64Array(ids.length - first);
    for (let target = first; target < ids.length; target++) {
      out[target - first] = -logSoftmaxAt(result.logits(0, target - 1 - start), ids[target] as number);
    }
    return out;
  } finally {
    cache.dispose();
  }
}

/**
 * Mean negative log-likelihood per token of `continuation` after `prompt` under the model's base
 * head (head 0), teacher-forced in one pass: the "oracle" quality of a generated continuation.
 * Lower is more likely under the base model.
 */
export async function oracleNll(
  model: MultiTokenModel,
  prompt: ArrayLike<number>,
  continuation: ArrayLike<number>,
): Promise<number> {
  const s = await oracleSurprisal(model, prompt, continuation);
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += s[i] as number;
  return s.length ? sum / s.length : 0;
}
