import { isDynamoError } from '@dynamojs/core';
import { describe, expect, it } from 'vitest';
import { FakeModel } from './fakes.js';

// The fake model's token-tree semantics, which tree-verification tests rely on.
describe('FakeModel token trees', () => {
  it("a node's logits are those after its root-to-node path; compact keeps the accepted path", async () => {
    const model = new FakeModel({ vocabSize: 16, heads: 3 });
    const cache = model.createCache();
    await model.forward([1, 2, 3], cache);
    const parents = [-1, 0, 0, 2, -1];
    const nodes = [4, 5, 6, 7, 8];
    const r = await model.forward(nodes, cache, { tree: { parents }, positions: 'all' });
    expect(cache.length).toBe(8);
    expect(Array.from(r.logits(0, 3))).toEqual(Array.from(model.baseLogits([1, 2, 3, 4, 6, 7])));
    expect(Array.from(r.logits(0, 4))).toEqual(Array.from(model.baseLogits([1, 2, 3, 8])));
    const h1 = Array.from(r.logits(1, 3));
    cache.compact([0, 1, 2, 3, 5, 6]);
    expect(cache.length).toBe(6);
    // after the compaction the accepted path is the history: a chain step gives the same rows
    cache.trim(5);
    const again = await model.forward([7], cache, { positions: 'last' });
    expect(Array.from(again.logits(1))).toEqual(h1);
    expect(model.calls[1]?.parents).toEqual(parents);
  });

  it('validates trees and compact(keep); a chain-only fake rejects branching trees', async () => {
    const model = new FakeModel({ treeAttention: false });
    expect(model.metadata.treeAttention).toBe(false);
    const cache = model.createCache();
    await model.forward([1, 2], cache);
    const code = async (p: Promise<unknown> | (() => unknown)) => {
      try {
        await (typeof p === 'function' ? p() : p);
      } catch (e) {
        return isDynamoError(e) ? e.code : String(e);
      }
      return 'no error';
    };
    expect(await code(model.forward([3, 4], cache, { tree: { parents: [-1, -1] } }))).toBe('DYNAMO_UNSUPPORTED');
    expect(await code(model.forward([3, 4], cache, { tree: { parents: [-1, 1] } }))).toBe('DYNAMO_INVALID_OPTION');
    await model.forward([3, 4], cache, { tree: { parents: [-1, 0] } });
    expect(await code(() => cache.compact([1, 0]))).toBe('DYNAMO_CACHE_STATE');
    expect(await code(() => cache.compact([0, 4]))).toBe('DYNAMO_CACHE_STATE');
  });
});
