// kvCache: 'static' — fixed-capacity caches updated in place (the graph rewritten at load time,
// MultiHeadAttention → GroupQueryAttention). Tokens must be exactly the dynamic cache's for every
// decoding method that trims (verified chains) or compacts (verified token trees) the cache, on
// onnxruntime-node's CPU and its WebGPU EP (Dawn → Vulkan; here SwiftShader, skipped without a
// Vulkan loader and that ICD, as webgpu-node.test.ts). onnxruntime-web (WASM, and WebGPU: its
// GroupQueryAttention cannot share past and present) cannot update a cache in place: a typed error.
import { existsSync, readFileSync } from 'node:fs';
import { isDynamoError, type MultiTokenModel } from '@dynamojs/core';
import { generate } from '@dynamojs/generate';
import type { LoadOptions, OnnxKVCache, OnnxModel } from '@dynamojs/onnx';
import { loadModel } from '@dynamojs/onnx/node';
import { dynamoChain, dynamoTreeDrafter, greedy, loadCoOccurrenceTables } from '@dynamojs/samplers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { staticKvGraph } from '../src/staticKvGraph.js';
import { FIXTURE, MODEL_TINY, MODELS, maxAbsDiff, pathTo, RUNTIMES, randomTree, tokens } from './helpers.js';

const wasm = RUNTIMES.find((r) => r.name.includes('wasm')) as (typeof RUNTIMES)[number];

const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const hasVulkan = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1'].some((f) => existsSync(f));
const webgpu = process.platform === 'linux' && hasVulkan && (existsSync(ICD) || !!process.env.VK_ICD_FILENAMES);
if (webgpu && !process.env.VK_ICD_FILENAMES) process.env.VK_ICD_FILENAMES = ICD;

const hasTiny = MODELS.some((m) => m.name === 'model-tiny');
const PROMPT = [5, 17, 42, 9, 77, 3, 8, 100, 200, 300, 12, 64];
const N = 40;

interface Case {
  readonly name: string;
  /** New tokens per generation (SwiftShader runs a pass in ~0.3 s). */
  readonly n: number;
  load(options?: LoadOptions): Promise<OnnxModel>;
}

const CASES: Case[] = [
  { name: 'onnxruntime-node cpu', n: N, load: (o?: LoadOptions) => loadModel(MODEL_TINY, { device: 'cpu', ...o }) },
  ...(webgpu
    ? [
        {
          name: 'onnxruntime-node webgpu',
          n: 24,
          load: (o?: LoadOptions) => loadModel(MODEL_TINY, { device: 'webgpu', ...o }),
        },
      ]
    : []),
];

async function code(p: Promise<unknown>): Promise<{ code?: string; option?: unknown; message: string }> {
  try {
    await p;
  } catch (e) {
    if (!isDynamoError(e)) throw e;
    return { code: e.code, option: e.details.option, message: e.message };
  }
  throw new Error('expected an error');
}

/** Every decoding method that reads, trims or compacts the cache, greedy (and seeded sampling with the draft head). */
async function decode(multi: MultiTokenModel, base: MultiTokenModel, n: number) {
  const tables = loadCoOccurrenceTables(new Uint8Array(readFileSync(`${MODEL_TINY}/ngrams.bin`)));
  const opts = { inputIds: PROMPT, eos: false as const, maxNewTokens: n };
  const ar = await generate({ ...opts, model: multi, mode: 'ar', sampler: greedy() });
  const tree = await generate({
    ...opts,
    model: multi,
    mode: 'verified',
    sampler: greedy(),
    drafter: dynamoTreeDrafter({ tables, budget: 8 }),
  });
  const chain = await generate({ ...opts, model: base, mode: 'dynamo', sampler: dynamoChain(), seed: 7 });
  const verifiedHead = await generate({ ...opts, model: base, mode: 'verified', seed: 11 });
  return {
    ar: [...ar.tokens],
    tree: [...tree.tokens],
    treePasses: tree.stats.forwardPasses,
    chain: [...chain.tokens],
    verifiedHead: [...verifiedHead.tokens],
  };
}

describe.skipIf(!hasTiny).each(CASES)('static KV cache, model-tiny on $name', ({ load, n }) => {
  let dyn: Awaited<ReturnType<typeof decode>>;
  let models: OnnxModel[] = [];
  beforeAll(async () => {
    const multi = await load();
    const base = await load({ baseOnly: true, draftHead: true });
    models.push(multi, base);
    dyn = await decode(multi, base, n);
  }, 300_000);
  afterAll(async () => {
    for (const m of models) await m.dispose();
    models = [];
  });

  it('ar, verified token trees (compaction), verified and dynamo with the draft head: the dynamic cache’s tokens', async () => {
    const multi = await load({ kvCache: 'static' });
    const base = await load({ baseOnly: true, draftHead: true, kvCache: 'static', kvCapacity: 96 });
    models.push(multi, base);
    expect(multi.kvCache).toBe('static');
    expect(multi.kvCapacity).toBe(multi.manifest.contextLength);
    expect(base.metadata.contextLength).toBe(96);
    const got = await decode(multi, base, n);
    expect(got).toEqual(dyn);
    expect(got.treePasses).toBeLessThan(n); // trees were accepted, so the cache was compacted
  }, 300_000);
});

describe.skipIf(!hasTiny)('static KV cache: forward passes, trims and compactions (onnxruntime-node cpu)', () => {
  it('logits equal the dynamic cache’s; the buffers are allocated once and never replaced', async () => {
    const dynamic = await loadModel(MODEL_TINY, { device: 'cpu' });
    const fixed = await loadModel(MODEL_TINY, { device: 'cpu', kvCache: 'static', kvCapacity: 64 });
    const { heads, vocabSize } = dynamic.metadata;
    const cd = dynamic.createCache();
    const cs = fixed.createCache() as OnnxKVCache;
    let worst = 0;
    const both = async (ids: number[], parents?: number[]) => {
      const o = { positions: 'all' as const, ...(parents && { tree: { parents } }) };
      const a = await fixed.forward(ids, cs, o);
      const rows = Array.from({ length: heads }, (_, h) => ids.map((_, i) => a.logits(h, i).slice()));
      const b = await dynamic.forward(ids, cd, o);
      for (let h = 0; h < heads; h++)
        for (let i = 0; i < ids.length; i++)
          worst = Math.max(worst, maxAbsDiff(rows[h]?.[i] as Float32Array, b.logits(h, i)));
    };
    await both(tokens(9, vocabSize, 3));
    const buffers = cs.boundTensors();
    expect(buffers).not.toBeNull();
    expect(cs.capacity).toBe(64);
    expect(cs.byteLength).toBe(16 * 5 * 64 * 32 * 4);
    for (const [n, seed, accepted] of [
      [12, 5, 11],
      [7, 6, 3],
    ] as const) {
      const parents = randomTree(n, seed);
      const P = cs.length;
      await both(tokens(n, vocabSize, 30 + seed), parents);
      const keep = [...Array.from({ length: P }, (_, i) => i), ...pathTo(parents, accepted).map((i) => P + i)];
      cs.compact(keep);
      cd.compact(keep);
      await both(tokens(2, vocabSize, 40 + seed));
    }
    cs.trim(cs.length - 3);
    cd.trim(cd.length - 3);
    cs.compact([0, 1, 2, 3, 5, 6]);
    cd.compact([0, 1, 2, 3, 5, 6]);
    await both([7, 8, 9]);
    cs.trim(0);
    cd.trim(0);
    await both(tokens(5, vocabSize, 99));
    expect(cs.boundTensors()).toBe(buffers);
    expect(worst).toBeLessThan(1e-4);
    cs.dispose();
    cd.dispose();
    await dynamic.dispose();
    await fixed.dispose();
  }, 120_000);

  it('a pass past the capacity is DYNAMO_CONTEXT_OVERFLOW before it runs; generate stops at the capacity', async () => {
    const fixed = await loadModel(MODEL_TINY, { device: 'cpu', kvCache: 'static', kvCapacity: 20 });
    const cache = fixed.createCache();
    await fixed.forward(tokens(18, 4096, 1), cache);
    const e = await code(fixed.forward([1, 2, 3], cache));
    expect(e).toMatchObject({ code: 'DYNAMO_CONTEXT_OVERFLOW', option: 'kvCapacity' });
    expect(e.message).toMatch(/capacity of 20/);
    expect(cache.length).toBe(18);
    await fixed.forward([1, 2], cache); // still usable up to the capacity
    cache.dispose();
    const r = await generate({ model: fixed, inputIds: PROMPT, eos: false, maxNewTokens: 50, sampler: greedy() });
    expect(r.finishReason).toBe('context');
    expect(PROMPT.length + r.tokens.length).toBeLessThanOrEqual(20);
    await fixed.dispose();
  }, 120_000);
});

describe('static KV cache: options and graphs it cannot run', () => {
  it('bad options are DYNAMO_INVALID_OPTION naming the option', async () => {
    const dir = hasTiny ? MODEL_TINY : FIXTURE;
    expect(await code(loadModel(dir, { device: 'cpu', kvCache: 'fixed' as 'static' }))).toMatchObject({
      code: 'DYNAMO_INVALID_OPTION',
      option: 'kvCache',
    });
    expect(await code(loadModel(dir, { device: 'cpu', kvCapacity: 64 }))).toMatchObject({
      code: 'DYNAMO_INVALID_OPTION',
      option: 'kvCapacity',
    });
    for (const kvCapacity of [0, -1, 1.5, 1e9, Number.NaN]) {
      expect(await code(loadModel(dir, { device: 'cpu', kvCache: 'static', kvCapacity }))).toMatchObject({
        code: 'DYNAMO_INVALID_OPTION',
        option: 'kvCapacity',
      });
    }
    expect(await code(loadModel(dir, { device: 'webgpu', kvCache: 'static', keepCacheOnDevice: false }))).toMatchObject(
      { code: 'DYNAMO_INVALID_OPTION', option: 'keepCacheOnDevice' },
    );
  });

  it('cuda and the web entry (onnxruntime-web) are DYNAMO_UNSUPPORTED; auto passes over cuda and says why', async () => {
    const dir = hasTiny ? MODEL_TINY : FIXTURE;
    expect(await code(loadModel(dir, { device: 'cuda', kvCache: 'static' }))).toMatchObject({
      code: 'DYNAMO_UNSUPPORTED',
      option: 'kvCache',
    });
    const w = await code(wasm.load(dir, { kvCache: 'static' }));
    expect(w).toMatchObject({ code: 'DYNAMO_UNSUPPORTED', option: 'kvCache' });
    expect(w.message).toMatch(/onnxruntime-node/);
    const webgpuWeb = await code(wasm.load(dir, { kvCache: 'static', device: 'webgpu' }));
    expect(webgpuWeb).toMatchObject({ code: 'DYNAMO_UNSUPPORTED', option: 'kvCache' });
    if (!hasTiny) return;
    const m = await loadModel(MODEL_TINY, {
      kvCache: 'static',
      deviceProbe: (d) => (d === 'webgpu' ? 'no GPU in this test' : true),
    });
    expect(m.metadata.device).toBe('cpu');
    expect(m.deviceReport.attempts[0]).toMatchObject({ device: 'cuda', outcome: 'unavailable' });
    expect(m.deviceReport.attempts[0]?.reason).toMatch(/static/);
    await m.dispose();
  });

  it('a graph whose attention is plain operators (Concat(past, new)) is DYNAMO_UNSUPPORTED naming the input', async () => {
    const e = await code(loadModel(FIXTURE, { device: 'cpu', kvCache: 'static' }));
    expect(e).toMatchObject({ code: 'DYNAMO_UNSUPPORTED', option: 'kvCache' });
    expect(e.message).toMatch(/past_key_values\.0\.key" is read by Concat/);
    // the dynamic cache still loads it
    await (await loadModel(FIXTURE, { device: 'cpu' })).dispose();
  });

  it.skipIf(!hasTiny)(
    'the rewrite turns every MultiHeadAttention into GroupQueryAttention; garbage is DYNAMO_MODEL_FORMAT',
    () => {
      const bytes = new Uint8Array(readFileSync(`${MODEL_TINY}/model.onnx`));
      const r = staticKvGraph(bytes, 8, 'model.onnx');
      expect(r).toMatchObject({ rewritten: 8, native: 0 });
      // a graph that already has GroupQueryAttention is kept as it is
      expect(staticKvGraph(r.bytes, 8, 'x')).toMatchObject({ rewritten: 0, native: 8 });
      expect(() => staticKvGraph(Uint8Array.of(0xff, 0xff, 0xff), 8, 'bad.onnx')).toThrow(/not an ONNX model/);
    },
  );
});

describe.skipIf(!hasTiny || !webgpu)('static KV cache on webgpu in Node (SwiftShader)', () => {
  let gpu: OnnxModel;
  let dynamicGpu: OnnxModel;
  beforeAll(async () => {
    gpu = await loadModel(MODEL_TINY, { device: 'webgpu', kvCache: 'static', kvCapacity: 128 });
    dynamicGpu = await loadModel(MODEL_TINY, { device: 'webgpu' });
  }, 300_000);
  afterAll(async () => {
    await gpu?.dispose();
    await dynamicGpu?.dispose();
  });

  it('trees, compactions and trims in place on the device: logits equal the dynamic cache’s, nothing read back', async () => {
    const { heads, vocabSize } = gpu.metadata;
    const cs = gpu.createCache() as OnnxKVCache;
    const cd = dynamicGpu.createCache();
    let worst = 0;
    const both = async (ids: number[], parents?: number[]) => {
      const o = { positions: 'all' as const, ...(parents && { tree: { parents } }) };
      const a = await gpu.forward(ids, cs, o);
      const rows = Array.from({ length: heads }, (_, h) => ids.map((_, i) => a.logits(h, i).slice()));
      const b = await dynamicGpu.forward(ids, cd, o);
      for (let h = 0; h < heads; h++)
        for (let i = 0; i < ids.length; i++)
          worst = Math.max(worst, maxAbsDiff(rows[h]?.[i] as Float32Array, b.logits(h, i)));
    };
    await both(tokens(9, vocabSize, 21));
    expect(cs.location).toBe('gpu-buffer');
    const buffers = cs.boundTensors();
    const { Tensor } = await import('onnxruntime-node');
    const readBack = vi.spyOn(Tensor.prototype, 'getData').mockImplementation(() => {
      throw new Error('a cache tensor was read back from the GPU');
    });
    try {
      for (const [n, seed, accepted] of [
        [12, 5, 11],
        [7, 6, 3],
      ] as const) {
        const parents = randomTree(n, seed);
        const P = cs.length;
        await both(tokens(n, vocabSize, 30 + seed), parents);
        const keep = [...Array.from({ length: P }, (_, i) => i), ...pathTo(parents, accepted).map((i) => P + i)];
        cs.compact(keep);
        cd.compact(keep);
        await both(tokens(2, vocabSize, 40 + seed));
      }
      cs.trim(cs.length - 1);
      cd.trim(cd.length - 1);
      cs.compact([0, 1, 2, 3, 5]);
      cd.compact([0, 1, 2, 3, 5]);
      await both([7]);
      expect(readBack).not.toHaveBeenCalled();
    } finally {
      readBack.mockRestore();
    }
    expect(cs.boundTensors()).toBe(buffers);
    expect(cs.location).toBe('gpu-buffer');
    // both run on SwiftShader, but through different attention kernels (GroupQueryAttention vs MultiHeadAttention)
    expect(worst).toBeLessThan(1e-3);
    cs.dispose();
    cd.dispose();
  }, 300_000);
});
