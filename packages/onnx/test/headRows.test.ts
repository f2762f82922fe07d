import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DynamoErrorCode, type ForwardOptions, headRowIndex, isDynamoError } from '@dynamojs/core';
import { inspectGraph, OnnxModel } from '@dynamojs/onnx';
import { loadModel } from '@dynamojs/onnx/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE, FIXTURE_TREE, MODEL_TINY, MODELS, RUNTIMES, randomTree, relDiff, tokens } from './helpers.js';

const PROMPT = 9;

async function expectCode(p: Promise<unknown>, code: DynamoErrorCode, ...fragments: string[]) {
  let error: unknown;
  try {
    await p;
  } catch (e) {
    error = e;
  }
  expect(isDynamoError(error), `expected a DynamoError ${code}, got ${String(error)}`).toBe(true);
  expect((error as { code: string }).code, (error as Error).message).toBe(code);
  for (const f of fragments) expect((error as Error).message).toContain(f);
  return error as Error & { details: Record<string, unknown> };
}

/** Every head's rows of one pass over `ids` after the prompt (copies), with `options`. */
async function pass(model: OnnxModel, prompt: number[], ids: number[], options: ForwardOptions) {
  const cache = model.createCache();
  await model.forward(prompt, cache);
  const r = await model.forward(ids, cache, options);
  const base = Array.from({ length: r.positionCount }, (_, i) => r.logits(0, i).slice());
  const extra = Array.from({ length: r.heads - 1 }, (_, h) =>
    Array.from({ length: r.headPositionCount }, (_, i) => r.logits(h + 1, i).slice()),
  );
  const out = {
    heads: r.heads,
    headRows: Array.from(r.headRows ?? []),
    headPositionCount: r.headPositionCount,
    base,
    extra,
    cacheLength: cache.length,
  };
  cache.dispose();
  return out;
}

/** Listed rows equal 'all' at those nodes (every head), and head 0 is unchanged by the list. */
async function expectListEqualsAll(model: OnnxModel, ids: number[], list: number[], tree?: number[], tol = 1e-5) {
  const prompt = tokens(PROMPT, model.metadata.vocabSize, 3);
  const t = tree ? { tree: { parents: tree } } : {};
  const all = await pass(model, prompt, ids, { positions: 'all', headPositions: 'all', ...t });
  const some = await pass(model, prompt, ids, { positions: 'all', headPositions: list, ...t });
  expect(some.heads).toBe(model.metadata.heads);
  expect(some.headPositionCount).toBe(list.length);
  expect(some.headRows).toEqual(list);
  expect(some.cacheLength).toBe(PROMPT + ids.length);
  let worst = 0;
  for (let i = 0; i < ids.length; i++)
    worst = Math.max(worst, relDiff(some.base[i] as Float32Array, all.base[i] as Float32Array));
  for (let h = 0; h < model.metadata.heads - 1; h++)
    for (const [i, node] of list.entries())
      worst = Math.max(worst, relDiff(some.extra[h]?.[i] as Float32Array, all.extra[h]?.[node] as Float32Array));
  expect(worst).toBeLessThanOrEqual(tol);
}

/** model-tiny's multi-head graphs with the head_logits_rows input. */
const ROWS_VARIANTS = MODELS.some((m) => m.name === 'model-tiny') ? ['fp32', 'mixed'] : [];

describe.each(ROWS_VARIANTS)('extra heads at listed rows, model-tiny %s', (variant) => {
  describe.each(RUNTIMES)('$name', (runtime) => {
    let model: OnnxModel;
    beforeAll(async () => {
      model = await runtime.load(MODEL_TINY, { variant });
    });
    afterAll(async () => {
      await model?.dispose();
    });

    it('reports the head_logits_rows input', () => {
      expect(model.variant).toBe(variant);
      expect(model.graph.hasHeadLogitsRows).toBe(true);
      expect(model.metadata.headLogitsRows).toBe(true);
    });

    it("a list of chain rows equals 'all' at those rows, in list order", async () => {
      const ids = tokens(6, model.metadata.vocabSize, 21);
      await expectListEqualsAll(model, ids, [0, 3, 5]);
      await expectListEqualsAll(model, ids, [2]);
      await expectListEqualsAll(model, ids, [0, 1, 2, 3, 4, 5]);
    });

    it("a list of tree nodes equals 'all' at those nodes", async () => {
      const parents = randomTree(13, 4);
      const ids = tokens(13, model.metadata.vocabSize, 22);
      await expectListEqualsAll(model, ids, [2, 7, 12], parents);
      await expectListEqualsAll(model, ids, [0], parents);
    });

    it("headRows and headRowIndex for 'last', a count, 'all', a list, 'none' and []", async () => {
      const { heads, vocabSize } = model.metadata;
      const prompt = tokens(PROMPT, vocabSize, 5);
      const ids = tokens(5, vocabSize, 23);
      const cases: [ForwardOptions['headPositions'], number[]][] = [
        ['last', [4]],
        [2, [3, 4]],
        ['all', [0, 1, 2, 3, 4]],
        [
          [1, 4],
          [1, 4],
        ],
        [Int32Array.of(0, 2), [0, 2]],
        ['none', []],
        [[], []],
      ];
      for (const [headPositions, rows] of cases) {
        const r = await pass(model, prompt, ids, { positions: 'last', headPositions });
        expect(r.headRows, String(headPositions)).toEqual(rows);
        expect(r.headPositionCount).toBe(rows.length);
        expect(r.heads).toBe(rows.length === 0 ? 1 : heads);
        expect(r.base.length).toBe(1);
      }
      const cache = model.createCache();
      await model.forward(prompt, cache);
      const r = await model.forward(ids, cache, { headPositions: [1, 3] });
      expect(headRowIndex(r, 3, 5)).toBe(1);
      expect(headRowIndex(r, 2, 5)).toBe(-1);
      // the default index is the last listed row
      expect(r.logits(1)).toEqual(r.logits(1, 1));
      // the listed rows' logits (every head) are views: the row is the node's row of that head
      expect(r.logits(2, 0)).not.toEqual(r.logits(1, 0));
      cache.dispose();
    });

    it('rejects bad lists before running the pass (the cache is unchanged)', async () => {
      const { vocabSize } = model.metadata;
      const cache = model.createCache();
      await model.forward(tokens(PROMPT, vocabSize, 6), cache);
      const ids = tokens(4, vocabSize, 24);
      const bad: [unknown, string, number][] = [
        [[0, 4], 'headPositions[1] = 4 is not a node index: rows must be integers in [0, 3]', 1],
        [[-1], 'headPositions[0] = -1', 0],
        [[0.5], 'headPositions[0] = 0.5', 0],
        [[1, 1], 'node 1 is listed twice', 1],
        [[2, 0], 'increasing node order', 1],
        [{ length: 'x' }, 'an array of node indices', -1],
      ];
      for (const [headPositions, fragment, index] of bad) {
        const e = await expectCode(
          model.forward(ids, cache, { headPositions: headPositions as number[] }),
          'DYNAMO_INVALID_OPTION',
          fragment,
        );
        expect(e.details).toMatchObject({ option: 'headPositions', index });
        expect(cache.length).toBe(PROMPT);
      }
      await expectCode(
        model.forward(ids, cache, { headPositions: [1], tree: { parents: [-1, 0, 0, 5] } }),
        'DYNAMO_INVALID_OPTION',
        'parents[3]',
      );
      cache.dispose();
    });
  });
});

describe.each([
  { name: 'fixture (chain-only, num_head_logits_to_keep)', dir: FIXTURE, tree: false },
  { name: 'fixture-tree (num_head_logits_to_keep)', dir: FIXTURE_TREE, tree: true },
])('a graph without head_logits_rows, $name', ({ dir, tree }) => {
  describe.each(RUNTIMES)('$name', (runtime) => {
    let model: OnnxModel;
    beforeAll(async () => {
      model = await runtime.load(dir);
    });
    afterAll(async () => {
      await model?.dispose();
    });

    it('reports no head_logits_rows, and a list returns exactly the listed rows (the covering last rows run)', async () => {
      expect(model.graph.hasHeadLogitsRows).toBe(false);
      expect(model.metadata.headLogitsRows).toBe(false);
      const ids = tokens(7, model.metadata.vocabSize, 31);
      await expectListEqualsAll(model, ids, [1, 3], undefined, 0);
      await expectListEqualsAll(model, ids, [6], undefined, 0);
      await expectListEqualsAll(model, ids, [0, 2, 3, 6], undefined, 0);
      if (tree) await expectListEqualsAll(model, ids, [2, 5], [-1, 0, 0, 1, -1, 4, 2], 0);
      const prompt = tokens(PROMPT, model.metadata.vocabSize, 5);
      const none = await pass(model, prompt, ids, { headPositions: [] });
      expect(none).toMatchObject({ heads: 1, headPositionCount: 0, headRows: [] });
    });

    it('rejects bad lists the same way', async () => {
      const cache = model.createCache();
      await expectCode(
        model.forward([1, 2, 3], cache, { headPositions: [0, 3] }),
        'DYNAMO_INVALID_OPTION',
        'headPositions[1] = 3',
      );
      expect(cache.length).toBe(0);
      cache.dispose();
    });
  });
});

describe('the manifest: io.headLogitsRows and the default variant', () => {
  const manifest = {
    ...JSON.parse(readFileSync(join(FIXTURE, 'dynamo.json'), 'utf8')),
    specialTokens: {},
    io: { cacheLayers: 4, numLogitsToKeep: true, headLogitsRows: true },
  };
  const names = (extra: string[]) => {
    const inputNames = ['input_ids', 'attention_mask', 'position_ids', 'num_logits_to_keep', ...extra];
    const outputNames = ['logits', 'head_logits'];
    for (let i = 0; i < 4; i++) {
      inputNames.push(`past_key_values.${i}.key`, `past_key_values.${i}.value`);
      outputNames.push(`present.${i}.key`, `present.${i}.value`);
    }
    return { inputNames, outputNames };
  };

  it('inspectGraph: io.headLogitsRows needs the input; a graph has it or num_head_logits_to_keep, not both', () => {
    expect(inspectGraph(names(['head_logits_rows']), manifest, 'm.onnx').hasHeadLogitsRows).toBe(true);
    expect(() => inspectGraph(names([]), manifest, 'm.onnx')).toThrow(/no input "head_logits_rows"/);
    expect(() =>
      inspectGraph(
        names(['head_logits_rows', 'num_head_logits_to_keep']),
        { ...manifest, io: { cacheLayers: 4 } },
        'm.onnx',
      ),
    ).toThrow(/both "head_logits_rows" and "num_head_logits_to_keep"/);
    const meta = [{ name: 'head_logits_rows', isTensor: true as const, type: 'int64', shape: [1, 'r'] }];
    expect(() =>
      inspectGraph({ ...names(['head_logits_rows']), inputMetadata: meta as never }, manifest, 'm.onnx'),
    ).toThrow(/"head_logits_rows" has shape \[1, r\] int64, expected \[rows\] int64/);
  });

  it('a graph that returns other head rows than asked is DYNAMO_MODEL_FORMAT, and the cache is left as it was', async () => {
    const ort = await import('onnxruntime-node');
    const { inputNames, outputNames } = names(['head_logits_rows']);
    const graph = inspectGraph({ inputNames, outputNames }, manifest, 'broken.onnx');
    const { vocabSize: V, architecture } = manifest;
    const { attentionHeads: A, headDim: D } = architecture;
    // a session that always returns 2 rows per extra head, whatever head_logits_rows lists
    const session = {
      inputNames,
      outputNames,
      async run(feeds: Record<string, { dims: readonly number[] }>) {
        const T = feeds.attention_mask?.dims[1] as number;
        const out: Record<string, unknown> = {
          logits: new ort.Tensor('float32', new Float32Array(V), [1, 1, V]),
          head_logits: new ort.Tensor('float32', new Float32Array(2 * 2 * V), [1, 2, 2, V]),
        };
        for (let i = 0; i < 4; i++)
          for (const kv of ['key', 'value'])
            out[`present.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(A * T * D), [1, A, T, D]);
        return out;
      },
      async release() {},
    };
    const model = new OnnxModel({
      ort: ort as never,
      session: session as never,
      manifest,
      graph,
      device: 'cpu',
      deviceReport: { requested: 'cpu', chosen: 'cpu', attempts: [], summary: 'cpu' },
      file: 'broken.onnx',
      variant: 'fp32',
      baseOnly: false,
    });
    const cache = model.createCache();
    const e = await expectCode(
      model.forward([1, 2, 3], cache, { headPositions: [2] }),
      'DYNAMO_MODEL_FORMAT',
      '2 rows',
    );
    expect(e.details).toMatchObject({ file: 'broken.onnx', tensor: 'head_logits', expected: 1, actual: 2 });
    expect(cache.length).toBe(0);
    // two rows asked: the graph's two rows are the listed ones
    const r = await model.forward([1, 2, 3], cache, { headPositions: [0, 2] });
    expect(Array.from(r.headRows ?? [])).toEqual([0, 2]);
    expect(cache.length).toBe(3);
    await model.dispose();
  });

  it.runIf(ROWS_VARIANTS.length > 0)(
    'loadModel picks the variant marked default, unless one is asked for',
    async () => {
      const read = (p: string) => new Uint8Array(readFileSync(join(MODEL_TINY, p)));
      const m = JSON.parse(readFileSync(join(MODEL_TINY, 'dynamo.json'), 'utf8'));
      const files: Record<string, Uint8Array | string> = { 'tokenizer.json': read('tokenizer.json') };
      for (const f of m.files as { role: string; path: string; externalData?: { path: string }[] }[]) {
        if (f.role !== 'model') continue;
        files[f.path] = read(f.path);
        for (const d of f.externalData ?? []) files[d.path] = read(d.path);
      }
      for (const f of m.files) f.default = f.role === 'model' && f.variant === 'q8' ? true : undefined;
      files['dynamo.json'] = JSON.stringify(m);
      const byDefault = await loadModel(files, { device: 'cpu' });
      expect(byDefault.variant).toBe('q8');
      await byDefault.dispose();
      const asked = await loadModel(files, { device: 'cpu', variant: 'fp32' });
      expect(asked.variant).toBe('fp32');
      expect(asked.file).toBe('model.onnx');
      await asked.dispose();
    },
  );
});
