import { DynamoError, DynamoErrorCode } from '@dynamojs/core';

/** Throws DYNAMO_TOKEN_OUT_OF_RANGE unless `next` (the token a draft continues) is in [0, vocabSize). */
export function checkNextToken(next: number, vocabSize: number): void {
  if (Number.isInteger(next) && next >= 0 && next < vocabSize) return;
  throw new DynamoError(DynamoErrorCode.TOKEN_OUT_OF_RANGE, `next token ${next} is outside the vocabulary.`, {
    details: { actual: next },
  });
}
