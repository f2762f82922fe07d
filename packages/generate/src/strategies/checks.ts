import { DynamoError, DynamoErrorCode } from '@dynamojs/core';

export function samplerError(message: string, details: Record<string, unknown>): DynamoError {
  return new DynamoError(DynamoErrorCode.SAMPLER, message, { details });
}

/** Validates a sampler's emission: 1 ≤ length ≤ maxTokens ids in the vocabulary. Returns its length. */
export function checkEmission(name: string, out: ArrayLike<number>, maxTokens: number, vocabSize: number): number {
  if (out === null || typeof out !== 'object' || typeof out.length !== 'number') {
    throw samplerError(`Sampler "${name}" returned ${String(out)} instead of an array of token ids.`, { actual: out });
  }
  const n = out.length;
  if (n < 1 || n > maxTokens) {
    throw samplerError(`Sampler "${name}" returned ${n} tokens; this step allows 1 to ${maxTokens}.`, {
      expected: `1..${maxTokens}`,
      actual: n,
    });
  }
  for (let i = 0; i < n; i++) checkToken(`Sampler "${name}" returned`, out[i] as number, i, vocabSize);
  return n;
}

/** DYNAMO_SAMPLER unless `id` is an integer in [0, vocabSize). */
export function checkToken(who: string, id: number, index: number, vocabSize: number): void {
  if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
    throw samplerError(`${who} token ${String(id)}, outside the vocabulary [0, ${vocabSize}).`, {
      index,
      actual: id,
      expected: `[0, ${vocabSize})`,
    });
  }
}
