import { checkTokenIds, DynamoError, DynamoErrorCode, type MultiTokenModel } from '@dynamojs/core';
import { logSoftmaxAt } from './logSoftmaxAt.js';

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
  const { vocabSize, contextLength } = model.metadata;
  checkTokenIds(prompt, vocabSize, 'prompt token');
  checkTokenIds(continuation, vocabSize, 'continuation token');
  if (prompt.length === 0) {
    throw new DynamoError(DynamoErrorCode.INVALID_OPTION, 'oracleNll needs a prompt of at least one token.', {
      details: { option: 'prompt' },
    });
  }
  if (continuation.length === 0) return 0;
  const ids = new Int32Array(prompt.length + continuation.length);
  ids.set(Array.from(prompt));
  ids.set(Array.from(continuation), prompt.length);
  // Keep the most recent context if the sequence is longer than the model's window.
  const start = Math.max(0, ids.length - contextLength);
  const cache = model.createCache();
  try {
    const result = await model.forward(ids.subarray(start), cache, { positions: 'all', headPositions: 'none' });
    let sum = 0;
    let count = 0;
    for (let target = Math.max(prompt.length, start + 1); target < ids.length; target++) {
      sum -= logSoftmaxAt(result.logits(0, target - 1 - start), ids[target] as number);
      count++;
    }
    return count ? sum / count : 0;
  } finally {
    cache.dispose();
  }
}
