import type { ForwardOptions, ForwardResult, KVCache, MultiTokenModel } from '@dynamojs/core';

/**
 * A bigram-style fake: head h's logits at a position depend only on the token there,
 * `table[h][token]` (length vocab). Counts forward calls and checks cache use.
 */
export function tableModel(table: number[][][], contextLength = 64): MultiTokenModel & { calls: number } {
  const heads = table.length;
  const vocabSize = (table[0] as number[][]).length;
  const model = {
    calls: 0,
    metadata: { name: 'table', heads, vocabSize, contextLength, specialTokens: {} },
    createCache(): KVCache {
      let length = 0;
      let disposed = false;
      return {
        get length() {
          return length;
        },
        get disposed() {
          return disposed;
        },
        trim(l: number) {
          length = l;
        },
        dispose() {
          disposed = true;
        },
        _append(n: number) {
          length += n;
        },
      } as KVCache & { _append(n: number): void };
    },
    async forward(newTokens: ArrayLike<number>, cache: KVCache, options: ForwardOptions = {}): Promise<ForwardResult> {
      model.calls++;
      if (cache.length + newTokens.length > contextLength) throw new Error('context overflow in fake');
      (cache as KVCache & { _append(n: number): void })._append(newTokens.length);
      const count = (sel: ForwardOptions['headPositions']) => {
        if (typeof sel === 'object') throw new Error('fake model: lists of head rows are not modelled');
        return sel === 'none' ? 0 : sel === 'all' ? newTokens.length : typeof sel === 'number' ? sel : 1;
      };
      const positionCount = count(options.positions);
      const headPositionCount = count(options.headPositions ?? options.positions);
      return {
        heads: headPositionCount ? heads : 1,
        positionCount,
        headPositionCount,
        logits(head: number, index?: number) {
          const k = head === 0 ? positionCount : headPositionCount;
          const i = index ?? k - 1;
          const pos = newTokens.length - k + i;
          return Float32Array.from((table[head] as number[][])[newTokens[pos] as number] as number[]);
        },
      };
    },
    async dispose() {},
  };
  return model;
}
