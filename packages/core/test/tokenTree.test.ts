import { checkTokenTree, isChainTree, isDynamoError, treePath } from '@dynamojs/core';
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

describe('TokenTree helpers', () => {
  it('checkTokenTree validates, fills depths and recognises chains', () => {
    const depths = new Int32Array(5);
    expect(checkTokenTree({ parents: [-1, 0, 0, 1, 2] }, 5, depths)).toBe(false);
    expect(Array.from(depths)).toEqual([0, 1, 1, 2, 2]);
    expect(checkTokenTree({ parents: Int32Array.of(-1, 0, 1) }, 3, depths)).toBe(true);
    expect(Array.from(depths.subarray(0, 3))).toEqual([0, 1, 2]);
    // several roots (siblings right after the cache)
    expect(checkTokenTree({ parents: [-1, -1, 1] }, 3, depths)).toBe(false);
    expect(Array.from(depths.subarray(0, 3))).toEqual([0, 0, 1]);
    expect(checkTokenTree({ parents: [-1] }, 1)).toBe(true);
  });

  it('names the bad index: parents[i] ≥ i, < -1, non-integer, wrong length', () => {
    for (const [parents, index] of [
      [[-1, 1], 1],
      [[0], 0],
      [[-1, -2], 1],
      [[-1, 0.5], 1],
      [[-1, Number.NaN], 1],
      [[-1, '0'], 1],
    ] as [unknown[], number][]) {
      const e = errorOf(() => checkTokenTree({ parents: parents as number[] }, parents.length));
      expect(e.code).toBe('DYNAMO_INVALID_OPTION');
      expect(e.details.index).toBe(index);
      expect(e.message).toContain(`parents[${index}]`);
    }
    const e = errorOf(() => checkTokenTree({ parents: [-1, 0] }, 3));
    expect(e.code).toBe('DYNAMO_INVALID_OPTION');
    expect(e.message).toContain('3 new tokens');
    expect(errorOf(() => checkTokenTree({} as never, 1)).details.option).toBe('tree');
  });

  it('isChainTree and treePath', () => {
    expect(isChainTree({ parents: [-1, 0, 1] })).toBe(true);
    expect(isChainTree({ parents: [-1, 0, 0] })).toBe(false);
    const tree = { parents: [-1, 0, 0, 1, 2, 4] };
    expect(treePath(tree, 5)).toEqual([0, 2, 4, 5]);
    expect(treePath(tree, 0)).toEqual([0]);
    expect(errorOf(() => treePath(tree, 6)).code).toBe('DYNAMO_INVALID_OPTION');
  });
});
