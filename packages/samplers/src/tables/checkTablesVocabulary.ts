import { DynamoError, DynamoErrorCode } from '@dynamojs/core';

/**
 * Throws DYNAMO_VOCAB_MISMATCH when co-occurrence tables built for `tablesVocab` tokens meet a
 * model with `modelVocab` (a mismatched model/tables pair would silently mask the wrong tokens).
 */
export function checkTablesVocabulary(tablesVocab: number, modelVocab: number): void {
  if (tablesVocab === modelVocab) return;
  throw new DynamoError(
    DynamoErrorCode.VOCAB_MISMATCH,
    `Co-occurrence tables were built for a vocabulary of ${tablesVocab} tokens, the model has ${modelVocab}.`,
    { details: { field: 'vocabSize', expected: modelVocab, actual: tablesVocab } },
  );
}
