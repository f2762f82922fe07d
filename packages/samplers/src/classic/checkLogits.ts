import { DynamoError, DynamoErrorCode } from '@dynamojs/core';

/**
 * Checks one head's logits row: its length must be `vocabSize` and every entry must be a finite
 * number or `-Infinity` (the masking value). NaN and `+Infinity` are model or runtime faults.
 *
 * Throws a DynamoError with code DYNAMO_INVALID_LOGITS whose message and details name the head,
 * the offending index (token id) and its value (and the row position when given).
 * Cost: one pass over the row, no allocation.
 *
 * @param logits   the row to check
 * @param head     which head the row belongs to (0 = base), for the error
 * @param vocabSize expected length (default: the row's own length, i.e. not checked)
 * @param position the row's position within a multi-position forward result, for the error
 */
export function checkLogits(logits: ArrayLike<number>, head = 0, vocabSize?: number, position?: number): void {
  if (vocabSize !== undefined && logits.length !== vocabSize) {
    const where = describeRow(head, position);
    throw new DynamoError(
      DynamoErrorCode.INVALID_LOGITS,
      `Logits of ${where} have length ${logits.length}, expected the vocabulary size ${vocabSize}.`,
      { details: { head, position, expected: vocabSize, actual: logits.length, field: 'length' } },
    );
  }
  const bad = firstInvalidLogit(logits);
  if (bad >= 0) {
    const v = logits[bad];
    throw new DynamoError(
      DynamoErrorCode.INVALID_LOGITS,
      `Logits of ${describeRow(head, position)} contain ${String(v)} at index ${bad} (only finite values and -Infinity for masked tokens are allowed).`,
      { details: { head, position, index: bad, actual: v } },
    );
  }
}

function describeRow(head: number, position: number | undefined): string {
  return `head ${head}${position === undefined ? '' : ` at position ${position}`}`;
}

/** Index of the first NaN or +Infinity entry, or −1. A leaf loop (see argmax.ts). */
function firstInvalidLogit(logits: ArrayLike<number>): number {
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i] as number;
    // `v - v` is 0 for finite numbers and NaN for NaN/±Infinity: one comparison in the common case.
    if (v - v !== 0 && v !== Number.NEGATIVE_INFINITY) return i;
  }
  return -1;
}

/** Builds the error every selection function throws when no token is left to choose. */
export function allMaskedError(what: string, head?: number): DynamoError {
  return new DynamoError(
    DynamoErrorCode.SAMPLER,
    `${what}: every token is masked (all logits are -Infinity${head === undefined ? '' : ` at head ${head}`}); no token can be chosen.`,
    { details: head === undefined ? {} : { head } },
  );
}
