import { checkHeadRows, headRowIndex, isDynamoError } from '@dynamojs/core';
import { describe, expect, it } from 'vitest';

function errorOf(f: () => unknown): { code: string; message: string; details: Record<string, unknown> } {
  try {
    f();
  } catch (e) {
    if (!isDynamoError(e)) throw e;
    return e as never;
  }
  throw new Error('expected an error');
}

describe('head rows helpers', () => {
  it('checkHeadRows accepts increasing node indices below the chunk length and returns the count', () => {
    expect(checkHeadRows([0, 2, 4], 5)).toBe(3);
    expect(checkHeadRows(Int32Array.of(4), 5)).toBe(1);
    expect(checkHeadRows([], 5)).toBe(0);
    expect(checkHeadRows([0, 1, 2, 3, 4], 5)).toBe(5);
  });

  it('names the first bad entry: out of range, not an integer, a duplicate, out of order', () => {
    for (const [rows, index, fragment] of [
      [[0, 5], 1, 'headPositions[1] = 5 is not a node index'],
      [[-1], 0, 'headPositions[0] = -1'],
      [[1.5], 0, 'integers in [0, 4]'],
      [[Number.NaN], 0, 'NaN'],
      [['1'], 0, 'not a node index'],
      [[1, 3, 3], 2, 'node 3 is listed twice (headPositions[1] and headPositions[2])'],
      [[2, 1], 1, 'increasing node order, but headPositions[1] = 1 follows headPositions[0] = 2'],
    ] as const) {
      const e = errorOf(() => checkHeadRows(rows as unknown as number[], 5));
      expect(e.code).toBe('DYNAMO_INVALID_OPTION');
      expect(e.message).toContain(fragment);
      expect(e.details.index).toBe(index);
      expect(e.details.option).toBe('headPositions');
    }
    const e = errorOf(() => checkHeadRows({} as never, 5, 'rows'));
    expect(e.code).toBe('DYNAMO_INVALID_OPTION');
    expect(e.details).toMatchObject({ option: 'rows', index: -1 });
    expect(errorOf(() => checkHeadRows(null as never, 5)).message).toContain('an array of node indices');
  });

  it('headRowIndex finds a node among listed rows, or among the last rows of results without headRows', () => {
    const listed = { headRows: [1, 4, 6], headPositionCount: 3 };
    expect([0, 1, 4, 5, 6, 7].map((n) => headRowIndex(listed, n, 8))).toEqual([-1, 0, 1, -1, 2, -1]);
    const last3 = { headPositionCount: 3 };
    expect([0, 4, 5, 6, 7, 8].map((n) => headRowIndex(last3, n, 8))).toEqual([-1, -1, 0, 1, 2, -1]);
    expect(headRowIndex({ headRows: [], headPositionCount: 0 }, 0, 1)).toBe(-1);
    expect(headRowIndex({ headPositionCount: 0 }, 0, 1)).toBe(-1);
  });
});
