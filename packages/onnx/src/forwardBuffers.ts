import { DynamoError, DynamoErrorCode, type TokenTree } from '@dynamojs/core';

function grow<T extends BigInt64Array | Int32Array>(current: T, needed: number, make: (n: number) => T): T {
  return current.length >= needed ? current : make(Math.max(needed, 2 * current.length));
}

/**
 * The integer inputs of forward passes on one KV cache (token ids, position ids, node depths, a
 * token tree's attention mask), kept between passes and grown when a pass needs more, so that a
 * decoding step allocates no typed arrays. A cache runs one pass at a time, so its buffers are
 * never in use by two passes at once.
 */
export class ForwardBuffers {
  ids = new BigInt64Array(16);
  positions = new BigInt64Array(16);
  depths = new Int32Array(16);
  treeMask = new BigInt64Array(0);
  /** The extra heads' rows of the last pass (node indices), as the graph input and for the result. */
  headRows = new BigInt64Array(16);
  headNodes = new Int32Array(16);

  /** Room for S new tokens. */
  reserve(S: number): void {
    this.ids = grow(this.ids, S, (n) => new BigInt64Array(n));
    this.positions = grow(this.positions, S, (n) => new BigInt64Array(n));
    this.depths = grow(this.depths, S, (n) => new Int32Array(n));
    this.headRows = grow(this.headRows, S, (n) => new BigInt64Array(n));
    this.headNodes = grow(this.headNodes, S, (n) => new Int32Array(n));
  }

  /**
   * The extra heads' rows: the R listed node indices (validated: increasing, below S), or, without
   * a list, the last R of S nodes. Fills `headNodes[0..R)` and `headRows[0..R)`.
   */
  setHeadRows(list: ArrayLike<number> | undefined, R: number, S: number): void {
    const nodes = this.headNodes;
    const rows = this.headRows;
    for (let i = 0; i < R; i++) {
      const node = list === undefined ? S - R + i : (list[i] as number);
      nodes[i] = node;
      rows[i] = BigInt(node);
    }
  }

  /** ids[0..S) = tokens. */
  setIds(tokens: ArrayLike<number>, S: number): BigInt64Array {
    const ids = this.ids;
    for (let i = 0; i < S; i++) ids[i] = BigInt(tokens[i] as number);
    return ids.subarray(0, S);
  }

  /** positions[i] = P + i (a chain), or P + depths[i] (a tree whose depths were filled in). */
  setPositions(P: number, S: number, tree: boolean): BigInt64Array {
    const pos = this.positions;
    const depths = this.depths;
    for (let i = 0; i < S; i++) pos[i] = BigInt(P + (tree ? (depths[i] as number) : i));
    return pos.subarray(0, S);
  }

  /**
   * The ancestor-or-self mask [S, S] of a (validated) tree, row-major: row i is its parent's row
   * plus a 1 at column i. Only the columns up to the parent are copied (a parent's row is zero
   * past its own index).
   */
  setTreeMask(tree: TokenTree, S: number): BigInt64Array {
    if (S * S > 2 ** 26) {
      throw new DynamoError(
        DynamoErrorCode.INVALID_OPTION,
        `A token tree of ${S} nodes is too large for one pass (at most 8192 nodes).`,
        { details: { option: 'tree', expected: '≤ 8192 nodes', actual: S } },
      );
    }
    this.treeMask = grow(this.treeMask, S * S, (n) => new BigInt64Array(n));
    const mask = this.treeMask.subarray(0, S * S);
    mask.fill(0n);
    const { parents } = tree;
    for (let i = 0; i < S; i++) {
      const p = parents[i] as number;
      if (p >= 0) mask.copyWithin(i * S, p * S, p * S + p + 1);
      mask[i * S + i] = 1n;
    }
    return mask;
  }
}
