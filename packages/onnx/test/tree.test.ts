import { type DynamoErrorCode, isDynamoError, type KVCache } from '@dynamojs/core';
import type { OnnxModel } from '@dynamojs/onnx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FIXTURE,
  FIXTURE_TREE,
  MODEL_TINY,
  MODELS,
  maxAbsDiff,
  pathTo,
  RUNTIMES,
  randomTree,
  relDiff,
  TREE_MODELS,
  tokens,
} from './helpers.js';

const PROMPT = 9;

async function expectCode(p: Promise<unknown> | (() => unknown), code: DynamoErrorCode, ...fragments: string[]) {
  let error: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    error = e;
  }
  expect(isDynamoError(error), `expected a DynamoError ${code}, got ${String(error)}`).toBe(true);
  expect((error as { code: string }).code, (error as Error).message).toBe(code);
  for (const f of fragments) expect((error as Error).message).toContain(f);
  return error as Error & { details: Record<string, unknown> };
}

/** Every head's logits at the last position of a chain pass: the prompt, then `chain` as one chunk. */
async function chainRows(model: OnnxModel, prompt: number[], chain: number[], count = 1): Promise<Float32Array[][]> {
  const cache = model.createCache();
  await model.forward(prompt, cache);
  const r = await model.forward(chain, cache, { positions: count });
  const rows = Array.from({ length: r.heads }, (_, h) =>
    Array.from({ length: count }, (_, i) => r.logits(h, i).slice()),
  );
  cache.dispose();
  return rows;
}

/** The KV cache keeps the prompt and then the accepted path of a tree pass over it. */
function keepPath(P: number, parents: number[], node: number): number[] {
  return [...Array.from({ length: P }, (_, i) => i), ...pathTo(parents, node).map((i) => P + i)];
}

describe.each(TREE_MODELS)('token trees, $name', ({ dir }) => {
  describe.each(RUNTIMES)('$name', (runtime) => {
    let model: OnnxModel;
    beforeAll(async () => {
      model = await runtime.load(dir);
    });
    afterAll(async () => {
      await model?.dispose();
    });

    it('reports tree attention', () => {
      expect(model.metadata.treeAttention).toBe(true);
      expect(model.graph.hasTreeAttention).toBe(true);
    });

    it("each node's logits (every head) equal a chain pass over its root-to-node path (≤ 1e-4 relative)", async () => {
      const { heads, vocabSize } = model.metadata;
      const prompt = tokens(PROMPT, vocabSize, 3);
      let worst = 0;
      for (const [n, seed] of [
        [6, 1],
        [13, 2],
        [24, 3],
      ] as const) {
        const parents = randomTree(n, seed);
        const ids = tokens(n, vocabSize, 100 + seed);
        const cache = model.createCache();
        await model.forward(prompt, cache);
        const r = await model.forward(ids, cache, { tree: { parents }, positions: 'all' });
        expect(r.positionCount).toBe(n);
        expect(r.headPositionCount).toBe(heads > 1 ? n : 0);
        expect(cache.length).toBe(PROMPT + n);
        const rows = Array.from({ length: heads }, (_, h) =>
          Array.from({ length: n }, (_, i) => r.logits(h, i).slice()),
        );
        cache.dispose();
        for (let node = 0; node < n; node++) {
          const ref = await chainRows(
            model,
            prompt,
            pathTo(parents, node).map((i) => ids[i] as number),
          );
          for (let h = 0; h < heads; h++) {
            worst = Math.max(worst, relDiff(rows[h]?.[node] as Float32Array, ref[h]?.[0] as Float32Array));
          }
        }
      }
      expect(worst).toBeLessThanOrEqual(1e-4);
    });

    it('returns the last k nodes for positions / headPositions = k, in node order', async () => {
      const { heads, vocabSize } = model.metadata;
      const prompt = tokens(PROMPT, vocabSize, 4);
      const parents = [-1, 0, 0, 1, -1, 4, 2];
      const ids = tokens(parents.length, vocabSize, 44);
      const c1 = model.createCache();
      await model.forward(prompt, c1);
      const all = await model.forward(ids, c1, { tree: { parents }, positions: 'all' });
      const rows = Array.from({ length: heads }, (_, h) =>
        Array.from({ length: 7 }, (_, i) => all.logits(h, i).slice()),
      );
      const c2 = model.createCache();
      await model.forward(prompt, c2);
      const some = await model.forward(ids, c2, { tree: { parents }, positions: 2, headPositions: 3 });
      expect(some.positionCount).toBe(2);
      for (let i = 0; i < 2; i++) expect(maxAbsDiff(some.logits(0, i), rows[0]?.[5 + i] as Float32Array)).toBe(0);
      if (heads > 1) {
        expect(some.headPositionCount).toBe(3);
        for (let h = 1; h < heads; h++)
          for (let i = 0; i < 3; i++) expect(maxAbsDiff(some.logits(h, i), rows[h]?.[4 + i] as Float32Array)).toBe(0);
      }
      // a chain given as a tree is the plain chain pass
      const c3 = model.createCache();
      await model.forward(prompt, c3);
      const asTree = await model.forward(ids, c3, { tree: { parents: [-1, 0, 1, 2, 3, 4, 5] }, positions: 'all' });
      const asTreeRows = Array.from({ length: 7 }, (_, i) => asTree.logits(0, i).slice());
      c3.trim(PROMPT);
      const plain = await model.forward(ids, c3, { positions: 'all' });
      for (let i = 0; i < 7; i++) expect(relDiff(asTreeRows[i] as Float32Array, plain.logits(0, i))).toBeLessThan(1e-5);
      for (const c of [c1, c2, c3]) c.dispose();
    });

    it('compact(the accepted path) then a further forward equals the chain over that path', async () => {
      const { heads, vocabSize } = model.metadata;
      const prompt = tokens(PROMPT, vocabSize, 5);
      const parents = randomTree(16, 9);
      const ids = tokens(16, vocabSize, 55);
      const next = tokens(3, vocabSize, 66);
      let worst = 0;
      for (const accepted of [15, 7, 0, 1]) {
        const cache = model.createCache();
        await model.forward(prompt, cache);
        await model.forward(ids, cache, { tree: { parents }, positions: 'all' });
        const keep = keepPath(PROMPT, parents, accepted);
        cache.compact(keep);
        expect(cache.length).toBe(keep.length);
        const r = await model.forward(next, cache, { positions: 'all' });
        expect(cache.length).toBe(keep.length + 3);
        const path = pathTo(parents, accepted).map((i) => ids[i] as number);
        const ref = await chainRows(model, prompt, [...path, ...next], 3);
        for (let h = 0; h < heads; h++)
          for (let i = 0; i < 3; i++) worst = Math.max(worst, relDiff(r.logits(h, i), ref[h]?.[i] as Float32Array));
        cache.dispose();
      }
      expect(worst).toBeLessThanOrEqual(1e-4);
    });

    it('trims and compactions compose lazily (one application at the next forward)', async () => {
      const { heads, vocabSize } = model.metadata;
      const prompt = tokens(PROMPT, vocabSize, 6);
      const parents = [-1, 0, 1, 0, 3, 4, 2, -1, 7];
      const ids = tokens(parents.length, vocabSize, 77);
      const next = tokens(2, vocabSize, 88);
      const cache = model.createCache();
      await model.forward(prompt, cache);
      await model.forward(ids, cache, { tree: { parents } });
      // trim away the last two nodes, keep the path to node 5 (0 → 3 → 4 → 5), then drop its last node
      cache.trim(PROMPT + 7);
      cache.compact(keepPath(PROMPT, parents, 5));
      expect(cache.length).toBe(PROMPT + 4);
      cache.compact(Array.from({ length: PROMPT + 3 }, (_, i) => i)); // a prefix: a trim
      expect(cache.length).toBe(PROMPT + 3);
      const r = await model.forward(next, cache, { positions: 'all' });
      const ref = await chainRows(model, prompt, [ids[0], ids[3], ids[4], ...next] as number[], 2);
      for (let h = 0; h < heads; h++)
        for (let i = 0; i < 2; i++) expect(relDiff(r.logits(h, i), ref[h]?.[i] as Float32Array)).toBeLessThan(1e-4);
      // compactions compose: keeping [0, 2, 3, 5] then its [0, 1] keeps rows 0 and 2, as [0, 2] does
      const other = model.createCache();
      await model.forward([...prompt, ids[0], ids[3], ids[4], ...next] as number[], other);
      cache.compact([0, 2, 3, 5]);
      cache.compact([0, 1]);
      other.compact([0, 2]);
      const again = await model.forward(next, cache, { positions: 'all' });
      const againRows = Array.from({ length: 2 }, (_, i) => again.logits(0, i).slice());
      const direct = await model.forward(next, other, { positions: 'all' });
      for (let i = 0; i < 2; i++) expect(relDiff(againRows[i] as Float32Array, direct.logits(0, i))).toBeLessThan(1e-5);
      other.dispose();
      cache.compact([]);
      expect(cache.length).toBe(0);
      expect(cache.byteLength).toBe(0);
      cache.dispose();
    });

    it('a tree right after an empty cache, and trees back to back', async () => {
      const { vocabSize } = model.metadata;
      const parents = [-1, -1, 0, 1];
      const ids = tokens(4, vocabSize, 12);
      const cache = model.createCache();
      const r = await model.forward(ids, cache, { tree: { parents }, positions: 'all' });
      const rows = Array.from({ length: 4 }, (_, i) => r.logits(0, i).slice());
      for (const node of [0, 1, 2, 3]) {
        const path = pathTo(parents, node).map((i) => ids[i] as number);
        const c = model.createCache();
        const ref = await model.forward(path, c);
        expect(relDiff(rows[node] as Float32Array, ref.logits(0))).toBeLessThan(1e-4);
        c.dispose();
      }
      cache.compact([1, 3]);
      const second = await model.forward(ids, cache, { tree: { parents }, positions: 'all' });
      const row = second.logits(0, 3).slice();
      const c = model.createCache();
      const ref = await model.forward([ids[1], ids[3], ids[1], ids[3]] as number[], c);
      expect(relDiff(row, ref.logits(0))).toBeLessThan(1e-4);
      c.dispose();
      cache.dispose();
    });
  });
});

describe.each(RUNTIMES)('token-tree and compaction errors ($name)', (runtime) => {
  let model: OnnxModel;
  beforeAll(async () => {
    model = await runtime.load(FIXTURE_TREE);
  });
  afterAll(async () => {
    await model?.dispose();
  });

  it('a malformed tree → DYNAMO_INVALID_OPTION naming the index; the cache is unchanged', async () => {
    const cache = model.createCache();
    await model.forward([1, 2, 3], cache);
    for (const [parents, index] of [
      [[-1, 1, 0], 1],
      [[0, 0, 0], 0],
      [[-1, -2, 0], 1],
      [[-1, 0, 1.5], 2],
    ] as [number[], number][]) {
      const e = await expectCode(
        model.forward([4, 5, 6], cache, { tree: { parents } }),
        'DYNAMO_INVALID_OPTION',
        `parents[${index}]`,
      );
      expect(e.details.index).toBe(index);
    }
    await expectCode(model.forward([4, 5, 6], cache, { tree: { parents: [-1, 0] } }), 'DYNAMO_INVALID_OPTION', '3 new');
    await expectCode(model.forward([4], cache, { tree: {} as never }), 'DYNAMO_INVALID_OPTION', 'tree');
    expect(cache.length).toBe(3);
    cache.dispose();
  });

  it('bad compact(keep) → DYNAMO_CACHE_STATE naming the index; the cache is unchanged', async () => {
    const cache = model.createCache();
    await model.forward([1, 2, 3, 4], cache);
    for (const [keep, index] of [
      [[0, 2, 2], 2],
      [[1, 0], 1],
      [[0, 4], 1],
      [[-1], 0],
      [[0, 1.5], 1],
    ] as [number[], number][]) {
      const e = await expectCode(() => cache.compact(keep), 'DYNAMO_CACHE_STATE', `keep[${index}]`);
      expect(e.details.index).toBe(index);
    }
    await expectCode(() => cache.compact(null as never), 'DYNAMO_CACHE_STATE', 'array');
    expect(cache.length).toBe(4);
    // while a pass runs
    const running = model.forward([5], cache);
    await expectCode(() => cache.compact([0, 1]), 'DYNAMO_CACHE_STATE', 'forward pass');
    await running;
    expect(cache.length).toBe(5);
    cache.dispose();
    await expectCode(() => cache.compact([0]), 'DYNAMO_DISPOSED');
  });

  it('the context limit counts every node of a tree', async () => {
    const ctx = model.metadata.contextLength;
    const cache = model.createCache();
    await model.forward(tokens(ctx - 3, 96), cache);
    await expectCode(
      model.forward([1, 2, 3, 4], cache, { tree: { parents: [-1, -1, -1, -1] } }),
      'DYNAMO_CONTEXT_OVERFLOW',
    );
    await model.forward([1, 2, 3], cache, { tree: { parents: [-1, -1, -1] } });
    expect(cache.length).toBe(ctx);
    cache.dispose();
  });
});

/** Graphs without tree inputs: the older fixture, and every base-only graph (transformers.js layout). */
const CHAIN_ONLY = [
  { name: 'fixture (no tree input)', dir: FIXTURE, baseOnly: false },
  { name: 'fixture base-only', dir: FIXTURE, baseOnly: true },
  ...MODELS.filter((m) => m.dir === MODEL_TINY).map((m) => ({
    name: `${m.name} base-only`,
    dir: m.dir,
    baseOnly: true,
  })),
];

describe.each(CHAIN_ONLY)('chain-only graph: $name', ({ dir, baseOnly }) => {
  describe.each(RUNTIMES)('$name', (runtime) => {
    it('a branching tree → DYNAMO_UNSUPPORTED (no tree inputs; chains still work); chain trees and compact work', async () => {
      const model = await runtime.load(dir, { baseOnly });
      expect(model.metadata.treeAttention).toBe(false);
      const { vocabSize } = model.metadata;
      const prompt = tokens(PROMPT, vocabSize, 8);
      const ids = tokens(4, vocabSize, 9);
      const cache = model.createCache();
      await model.forward(prompt, cache);
      const e = await expectCode(
        model.forward(ids, cache, { tree: { parents: [-1, 0, 0, 2] } }),
        'DYNAMO_UNSUPPORTED',
        'no tree inputs',
        'Chains',
        'node 2',
      );
      expect(e.details.option).toBe('tree');
      expect(cache.length).toBe(PROMPT);
      const chain = await model.forward(ids, cache, { tree: { parents: [-1, 0, 1, 2] }, positions: 'all' });
      const rows = Array.from({ length: 4 }, (_, i) => chain.logits(0, i).slice());
      cache.trim(PROMPT);
      const plain = await model.forward(ids, cache, { positions: 'all' });
      for (let i = 0; i < 4; i++) expect(maxAbsDiff(rows[i] as Float32Array, plain.logits(0, i))).toBe(0);
      // compaction works on any model's cache: drop the chain's second token
      cache.compact([...Array.from({ length: PROMPT }, (_, i) => i), PROMPT]);
      const after = await model.forward([ids[2] as number], cache);
      const ref = await chainRows(model, prompt, [ids[0], ids[2]] as number[]);
      expect(relDiff(after.logits(0), ref[0]?.[0] as Float32Array)).toBeLessThan(1e-4);
      cache.dispose();
      await model.dispose();
    });
  });
});

describe.each(RUNTIMES)('fixture-tree and fixture agree ($name)', (runtime) => {
  it('the tree graph gives the chain-only graph’s logits for chains (same weights)', async () => {
    const a = await runtime.load(FIXTURE_TREE);
    const b = await runtime.load(FIXTURE);
    const ids = tokens(20, 96, 31);
    const ca: KVCache = a.createCache();
    const cb: KVCache = b.createCache();
    const ra = await a.forward(ids.slice(0, 12), ca, { positions: 'all' });
    const rowsA = Array.from({ length: 3 }, (_, h) => Array.from({ length: 12 }, (_, i) => ra.logits(h, i).slice()));
    const rb = await b.forward(ids.slice(0, 12), cb, { positions: 'all' });
    for (let h = 0; h < 3; h++)
      for (let i = 0; i < 12; i++)
        expect(maxAbsDiff(rowsA[h]?.[i] as Float32Array, rb.logits(h, i))).toBeLessThan(1e-5);
    for (let t = 12; t < 20; t++) {
      const x = await a.forward([ids[t] as number], ca);
      const xs = Array.from({ length: 3 }, (_, h) => x.logits(h).slice());
      const y = await b.forward([ids[t] as number], cb);
      for (let h = 0; h < 3; h++) expect(maxAbsDiff(xs[h] as Float32Array, y.logits(h))).toBeLessThan(1e-5);
    }
    await a.dispose();
    await b.dispose();
  });
});
