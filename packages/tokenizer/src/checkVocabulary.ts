import { DynamoError, DynamoErrorCode, type TextTokenizer } from '@dynamojs/core';

export interface ExpectedVocabulary {
  /** The vocabulary size the model / table was made for. */
  readonly vocabSize?: number;
  /** The tokenizer hash it was made with (`TextTokenizer.hash`). */
  readonly hash?: string;
  /** What is being checked, for the message (e.g. "model dynamo.json", "ngrams.bin"). */
  readonly source?: string;
  /**
   * Accept a `vocabSize` larger than the tokenizer's (models often pad their embedding, e.g.
   * Pythia's 50304 for a 50277-token tokenizer). Default false: sizes must be equal.
   */
  readonly allowPadding?: boolean;
}

/**
 * Throws DYNAMO_VOCAB_MISMATCH when a model or co-occurrence table was made for another
 * vocabulary than `tokenizer`'s. Fields left out of `expected` are not checked.
 */
export function checkVocabulary(
  tokenizer: Pick<TextTokenizer, 'vocabSize' | 'hash'>,
  expected: ExpectedVocabulary,
): void {
  const source = expected.source ?? 'the model';
  if (expected.vocabSize !== undefined) {
    const ok = expected.allowPadding
      ? expected.vocabSize >= tokenizer.vocabSize
      : expected.vocabSize === tokenizer.vocabSize;
    if (!ok) {
      throw new DynamoError(
        DynamoErrorCode.VOCAB_MISMATCH,
        `${source} has a vocabulary of ${expected.vocabSize} tokens but the tokenizer has ${tokenizer.vocabSize}${
          expected.allowPadding ? ' (it may be larger, not smaller)' : ''
        }.`,
        { details: { source, field: 'vocabSize', expected: expected.vocabSize, actual: tokenizer.vocabSize } },
      );
    }
  }
  if (expected.hash !== undefined && expected.hash.toLowerCase() !== tokenizer.hash.toLowerCase()) {
    throw new DynamoError(
      DynamoErrorCode.VOCAB_MISMATCH,
      `${source} was made for the tokenizer with hash ${expected.hash}, but this tokenizer's hash is ${tokenizer.hash}.`,
      { details: { source, field: 'hash', expected: expected.hash, actual: tokenizer.hash } },
    );
  }
}
