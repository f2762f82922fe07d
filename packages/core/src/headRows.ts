import { DynamoError, DynamoErrorCode } from './errors.js';
import type { ForwardResult } from './model.js';

function invalidRows(message: string, index: number, expected: string, actual: unknown, option: string): never {
  throw new DynamoError(DynamoErrorCode.INVALID_OPTION, `Option "${option}": ${message}`, {
    details: { option, index, expected, actual },
  });
}

/**
 * Validates a list of rows for the extra heads (`ForwardOptions.headPositions` as a list) for a
 * call with `length` new tokens and returns how many rows it lists. The rows are node indices
 * (positions among the new tokens): integers in `[0, length)`, strictly increasing (so no node is
 * listed twice). Errors: DYNAMO_INVALID_OPTION naming the first bad entry (`details.index`; -1
 * when the list itself is not an array).
 */
export function checkHeadRows(rows: ArrayLike<number>, length: number, option = 'headPositions'): number {
  const n = (rows as ArrayLike<number> | null | undefined)?.length;
  if (rows === null || typeof rows !== 'object' || typeof n !== 'number') {
    invalidRows(
      "must be 'last', 'all', 'none', a count, or an array of node indices.",
      -1,
      'an array of node indices',
      rows,
      option,
    );
  }
  let previous = -1;
  for (let i = 0; i < n; i++) {
    const r = rows[i] as number;
    if (typeof r !== 'number' || !Number.isInteger(r) || r < 0 || r >= length) {
      invalidRows(
        `${option}[${i}] = ${String(r)} is not a node index: rows must be integers in [0, ${length - 1}] ` +
          `(positions among the ${length} new tokens).`,
        i,
        `an integer in [0, ${length - 1}]`,
        r,
        option,
      );
    }
    if (r === previous) {
      invalidRows(
        `node ${r} is listed twice (${option}[${i - 1}] and ${option}[${i}]); list each node once.`,
        i,
        `a node index > ${previous}`,
        r,
        option,
      );
    }
    if (r < previous) {
      invalidRows(
        `rows must be in increasing node order, but ${option}[${i}] = ${r} follows ${option}[${i - 1}] = ${previous}.`,
        i,
        `a node index > ${previous}`,
        r,
        option,
      );
    }
    previous = r;
  }
  return n;
}

/**
 * The index `i` for which `result.logits(h, i)` (h ≥ 1) is the extra heads' row of node `node`
 * (a position among the `newTokens` new tokens of the pass), or -1 when the pass did not return
 * the extra heads at that node. Works with results that list their rows (`headRows`) and with
 * those that return the last `headPositionCount` rows.
 */
export function headRowIndex(
  result: Pick<ForwardResult, 'headRows' | 'headPositionCount'>,
  node: number,
  newTokens: number,
): number {
  const rows = result.headRows;
  const count = result.headPositionCount;
  if (rows === undefined) {
    const i = node - (newTokens - count);
    return Number.isInteger(i) && i >= 0 && i < count ? i : -1;
  }
  // rows are increasing: binary search
  let lo = 0;
  let hi = Math.min(rows.length, count) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = rows[mid] as number;
    if (r === node) return mid;
    if (r < node) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
