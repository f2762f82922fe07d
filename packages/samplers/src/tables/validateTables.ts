/** Consistency checks of a table file's contents and of the caller's expectations. */
import { DynamoError, DynamoErrorCode } from '@dynamojs/core';
import { checkTablesVocabulary } from './checkTablesVocabulary.js';
import { type CoOccurrenceHeader, formatError, type IdArray } from './tablesFormat.js';

/** Expectations checked at load time. */
export interface CoOccurrenceLoadOptions {
  /** The model's / tokenizer's vocabulary size: a mismatch is DYNAMO_VOCAB_MISMATCH. */
  readonly vocabSize?: number;
  /** The tokenizer hash: a mismatch is DYNAMO_VOCAB_MISMATCH (skipped when the file stores ''). */
  readonly tokenizerHash?: string;
  /** Verify the section checksums (one pass over the file). Default true. */
  readonly verifyChecksums?: boolean;
  /** Load only the pair sections even from an order-3 file (lazy readers fetch less). */
  readonly maxOrder?: 2 | 3;
}

/** Throws DYNAMO_VOCAB_MISMATCH when the file was built for another vocabulary size or tokenizer. */
export function checkExpectations(header: CoOccurrenceHeader, options: CoOccurrenceLoadOptions): void {
  if (options.vocabSize !== undefined) checkTablesVocabulary(header.vocabSize, options.vocabSize);
  if (
    options.tokenizerHash !== undefined &&
    header.tokenizerHash !== '' &&
    options.tokenizerHash !== header.tokenizerHash
  ) {
    throw new DynamoError(
      DynamoErrorCode.VOCAB_MISMATCH,
      `Co-occurrence tables were built with tokenizer ${header.tokenizerHash}, the model uses ${options.tokenizerHash}.`,
      { details: { field: 'tokenizerHash', expected: options.tokenizerHash, actual: header.tokenizerHash } },
    );
  }
}

/** Validates one CSR level: offsets start at 0, never decrease, end at `entries`; ids < V and strictly increasing per row. */
export function validateCsr(name: string, offsets: Uint32Array, ids: IdArray, vocabSize: number): void {
  const rows = offsets.length - 1;
  if (offsets[0] !== 0 || offsets[rows] !== ids.length) {
    throw formatError(
      `${name} offsets do not span the entries (first ${offsets[0]}, last ${offsets[rows]}, entries ${ids.length}).`,
    );
  }
  for (let r = 0; r < rows; r++) {
    const start = offsets[r] as number;
    const end = offsets[r + 1] as number;
    if (end < start || end > ids.length) throw formatError(`${name} offsets decrease or run past the end at row ${r}.`);
    let prev = -1;
    for (let e = start; e < end; e++) {
      const id = ids[e] as number;
      if (id <= prev || id >= vocabSize) {
        throw formatError(`${name} row ${r} has an unsorted, duplicate or out-of-vocabulary id ${id}.`, { index: e });
      }
      prev = id;
    }
  }
}
