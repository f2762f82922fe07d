// WebGPU through onnxruntime-node's webgpu execution provider (Dawn → Vulkan). On this machine the
// adapter is Chromium's SwiftShader (software Vulkan): it needs libvulkan1 and VK_ICD_FILENAMES
// pointing at /usr/lib/chromium/vk_swiftshader_icd.json, set here before the first WebGPU session.
// Skipped where neither a Vulkan loader nor that ICD exists.
import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { OnnxModel } from '@dynamojs/onnx';
import { loadModel } from '@dynamojs/onnx/node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FIXTURE, MODEL_TINY, MODELS, maxAbsDiff, pathTo, randomTree, TREE_MODELS, tokens } from './helpers.js';

/** Largest |logit| of a row. */
function scale(row: Float32Array): number {
  let m = 0;
  for (const v of row) m = Math.max(m, Math.abs(v));
  return m;
}

const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const hasVulkan = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1'].some((f) => existsSync(f));
const runnable = process.platform === 'linux' && hasVulkan && (existsSync(ICD) || !!process.env.VK_ICD_FILENAMES);
if (runnable && !process.env.VK_ICD_FILENAMES) process.env.VK_ICD_FILENAMES = ICD;

describe.skipIf(!runnable).each(MODELS)('webgpu in Node, $name', ({ dir }) => {
  let gpu: OnnxModel;
  let cpu: OnnxModel;
  beforeAll(async () => {
    gpu = await loadModel(dir, { device: 'webgpu' });
    cpu = await loadModel(dir, { device: 'cpu' });
  });
  afterAll(async () => {
    await gpu?.dispose();
    await cpu?.dispose();
  });

  it('keeps the cache on the device and matches CPU logits within 1e-3 (prefill + 30 steps, every head)', async () => {
    expect(gpu.metadata.device).toBe('webgpu');
    const { heads, vocabSize } = gpu.metadata;
    const ids = tokens(38, vocabSize, 17);
    const cg = gpu.createCache();
    const cc = cpu.createCache();
    let worst = 0;
    const a = await gpu.forward(ids.slice(0, 8), cg, { positions: 'all' });
    expect(cg.location).toBe('gpu-buffer');
    const rowsA = Array.from({ length: heads }, (_, h) => Array.from({ length: 8 }, (_, i) => a.logits(h, i).slice()));
    const b = await cpu.forward(ids.slice(0, 8), cc, { positions: 'all' });
    for (let h = 0; h < heads; h++)
      for (let i = 0; i < 8; i++) worst = Math.max(worst, maxAbsDiff(rowsA[h]?.[i] as Float32Array, b.logits(h, i)));
    for (let t = 8; t < ids.length; t++) {
      const x = await gpu.forward([ids[t] as number], cg);
      const xs = Array.from({ length: heads }, (_, h) => x.logits(h).slice());
      const y = await cpu.forward([ids[t] as number], cc);
      for (let h = 0; h < heads; h++) worst = Math.max(worst, maxAbsDiff(xs[h] as Float32Array, y.logits(h)));
    }
    // SwiftShader's float math (exp/erf in the shaders) differs from MLAS by ~1e-4 of the logit
    // scale: the fixture's logits reach ±12 and differ by up to 1.3e-3. So: 1e-3 per unit of scale.
    const tol = 1e-3 * Math.max(1, scale(b.logits(0)));
    expect(worst).toBeLessThanOrEqual(tol);
    // trim (device tensors are sliced on the device) and chunked re-append still agree with the CPU
    cg.trim(20);
    cc.trim(20);
    const x = await gpu.forward(ids.slice(20, 23), cg, { positions: 'all' });
    const xs = Array.from({ length: heads }, (_, h) => Array.from({ length: 3 }, (_, i) => x.logits(h, i).slice()));
    const y = await cpu.forward(ids.slice(20, 23), cc, { positions: 'all' });
    for (let h = 0; h < heads; h++)
      for (let i = 0; i < 3; i++)
        expect(maxAbsDiff(xs[h]?.[i] as Float32Array, y.logits(h, i))).toBeLessThanOrEqual(tol);
    expect(cg.length).toBe(23);
    cg.dispose();
    cc.dispose();
  }, 300_000);
});

describe.skipIf(!runnable).each(TREE_MODELS)('webgpu in Node, token trees, $name', ({ dir }) => {
  let gpu: OnnxModel;
  let cpu: OnnxModel;
  beforeAll(async () => {
    gpu = await loadModel(dir, { device: 'webgpu' });
    cpu = await loadModel(dir, { device: 'cpu' });
  });
  afterAll(async () => {
    await gpu?.dispose();
    await cpu?.dispose();
  });

  it('tree passes and compact() on the device match the CPU; the cache never leaves the GPU', async () => {
    expect(gpu.metadata.device).toBe('webgpu');
    expect(gpu.metadata.treeAttention).toBe(true);
    const { heads, vocabSize } = gpu.metadata;
    const prompt = tokens(9, vocabSize, 21);
    const cg = gpu.createCache();
    const cc = cpu.createCache();
    let worst = 0;
    let scaleMax = 1;
    const both = async (ids: number[], parents?: number[]) => {
      const opts = { positions: 'all' as const, ...(parents && { tree: { parents } }) };
      const a = await gpu.forward(ids, cg, opts);
      const rows = Array.from({ length: heads }, (_, h) =>
        Array.from({ length: ids.length }, (_, i) => a.logits(h, i).slice()),
      );
      const b = await cpu.forward(ids, cc, opts);
      for (let h = 0; h < heads; h++)
        for (let i = 0; i < ids.length; i++) {
          worst = Math.max(worst, maxAbsDiff(rows[h]?.[i] as Float32Array, b.logits(h, i)));
          scaleMax = Math.max(scaleMax, scale(b.logits(h, i)));
        }
    };
    await both(prompt);
    expect(cg.location).toBe('gpu-buffer');
    // onnxruntime-node's WebGPU EP aborts the process on a GPU tensor's getData(): fail loudly instead
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
        const ids = tokens(n, vocabSize, 30 + seed);
        const P = cg.length;
        await both(ids, parents);
        const keep = [...Array.from({ length: P }, (_, i) => i), ...pathTo(parents, accepted).map((i) => P + i)];
        cg.compact(keep);
        cc.compact(keep);
        await both(tokens(2, vocabSize, 40 + seed));
        expect(cg.location).toBe('gpu-buffer');
        expect(cg.length).toBe(keep.length + 2);
      }
      // a trim and a compaction pending together, applied at once on the device
      cg.trim(cg.length - 1);
      cc.trim(cc.length - 1);
      cg.compact([0, 1, 2, 3, 5]);
      cc.compact([0, 1, 2, 3, 5]);
      await both([7]);
      expect(readBack).not.toHaveBeenCalled();
    } finally {
      readBack.mockRestore();
    }
    expect(cg.location).toBe('gpu-buffer');
    // SwiftShader's float math differs from MLAS by ~1e-4 of the logit scale (see above)
    expect(worst).toBeLessThanOrEqual(1e-3 * scaleMax);
    cg.dispose();
    cc.dispose();
  }, 300_000);
});

const ROWS_VARIANTS = MODELS.some((m) => m.name === 'model-tiny') ? ['fp32', 'mixed'] : [];

describe.skipIf(!runnable).each(ROWS_VARIANTS)(
  'webgpu in Node, extra heads at listed rows, model-tiny %s',
  (variant) => {
    let gpu: OnnxModel;
    let cpu: OnnxModel;
    beforeAll(async () => {
      gpu = await loadModel(MODEL_TINY, { device: 'webgpu', variant });
      cpu = await loadModel(MODEL_TINY, { device: 'cpu', variant });
    });
    afterAll(async () => {
      await gpu?.dispose();
      await cpu?.dispose();
    });

    it("listed tree nodes equal 'all' at those nodes on the GPU, and the CPU's rows; 'none' skips the heads", async () => {
      expect(gpu.metadata.device).toBe('webgpu');
      expect(gpu.metadata.headLogitsRows).toBe(true);
      const { heads, vocabSize } = gpu.metadata;
      const prompt = tokens(9, vocabSize, 51);
      const parents = randomTree(9, 8);
      const ids = tokens(9, vocabSize, 52);
      const list = [1, 4, 8];
      const run = async (model: OnnxModel, headPositions: 'all' | 'none' | number[]) => {
        const cache = model.createCache();
        // the prompt without the extra heads (no head rows at all), then the tree
        const first = await model.forward(prompt, cache, { headPositions: 'none' });
        expect(first.heads).toBe(1);
        const r = await model.forward(ids, cache, { positions: 'all', headPositions, tree: { parents } });
        const out = {
          heads: r.heads,
          headRows: Array.from(r.headRows ?? []),
          rows: Array.from({ length: r.heads }, (_, h) =>
            Array.from({ length: h === 0 ? r.positionCount : r.headPositionCount }, (_, i) => r.logits(h, i).slice()),
          ),
          location: (cache as { location?: string }).location,
        };
        cache.dispose();
        return out;
      };
      const all = await run(gpu, 'all');
      const some = await run(gpu, list);
      const none = await run(gpu, 'none');
      const cpuAll = await run(cpu, 'all');
      expect(some.location).toBe('gpu-buffer');
      expect(some.headRows).toEqual(list);
      expect(none.heads).toBe(1);
      expect(none.headRows).toEqual([]);
      let sameDevice = 0;
      let acrossDevices = 0;
      let scaleMax = 1;
      for (let i = 0; i < 9; i++) {
        sameDevice = Math.max(
          sameDevice,
          maxAbsDiff(some.rows[0]?.[i] as Float32Array, all.rows[0]?.[i] as Float32Array),
        );
        sameDevice = Math.max(
          sameDevice,
          maxAbsDiff(none.rows[0]?.[i] as Float32Array, all.rows[0]?.[i] as Float32Array),
        );
        acrossDevices = Math.max(
          acrossDevices,
          maxAbsDiff(some.rows[0]?.[i] as Float32Array, cpuAll.rows[0]?.[i] as Float32Array),
        );
        scaleMax = Math.max(scaleMax, scale(cpuAll.rows[0]?.[i] as Float32Array));
      }
      let extraAcross = 0;
      for (let h = 1; h < heads; h++)
        for (const [i, node] of list.entries()) {
          sameDevice = Math.max(
            sameDevice,
            maxAbsDiff(some.rows[h]?.[i] as Float32Array, all.rows[h]?.[node] as Float32Array),
          );
          extraAcross = Math.max(
            extraAcross,
            maxAbsDiff(some.rows[h]?.[i] as Float32Array, cpuAll.rows[h]?.[node] as Float32Array),
          );
          scaleMax = Math.max(scaleMax, scale(cpuAll.rows[h]?.[node] as Float32Array));
        }
      expect(sameDevice).toBeLessThanOrEqual(1e-4 * scaleMax);
      // SwiftShader's float math differs from MLAS by ~1e-4 of the logit scale (see above)
      expect(acrossDevices).toBeLessThanOrEqual(1e-3 * scaleMax);
      // the mixed graph's extra heads use 8-bit weights: the CPU's int8 kernels also round the
      // activations to 8 bits (accuracy_level 4), the WebGPU kernel does not
      expect(extraAcross).toBeLessThanOrEqual((variant === 'mixed' ? 3e-2 : 1e-3) * scaleMax);
    }, 300_000);
  },
);

describe.skipIf(!runnable)('webgpu in Node, fixture: soak and auto', () => {
  let small: OnnxModel;
  beforeAll(async () => {
    small = await loadModel(FIXTURE, { device: 'webgpu' });
  });
  afterAll(async () => {
    await small?.dispose();
  });

  it('300 steps with trims on the device: memory stays flat, replaced tensors are released', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const cache = small.createCache();
    const ids = tokens(300, small.metadata.vocabSize, 4);
    await small.forward(ids.slice(0, 16), cache);
    const rss: number[] = [];
    for (let step = 0; step < 300; step++) {
      if (cache.length + 2 > 100) cache.trim(16 + (step % 11));
      await small.forward(step % 5 === 0 ? [ids[step] as number, 3] : [ids[step] as number], cache);
      if (step % 20 === 19) cache.trim(cache.length - 2);
      if (step % 75 === 74) {
        gc();
        rss.push(process.memoryUsage().rss);
      }
    }
    expect(cache.location).toBe('gpu-buffer');
    cache.dispose();
    console.log(`webgpu: RSS every 75 steps (MB): ${rss.map((r) => (r / 2 ** 20).toFixed(1)).join(' ')}`);
    // a leak of one step's cache tensors (≈ 60 KB) per step would add ≈ 13 MB over the last 225 steps
    expect((rss[3] as number) - (rss[0] as number)).toBeLessThan(8 * 1024 * 1024);
  }, 300_000);

  it('auto passes over a software-only Vulkan driver (SwiftShader) and says so', async () => {
    const m = await loadModel(FIXTURE, { deviceProbe: (d) => (d === 'cuda' ? 'no CUDA here' : true) });
    expect(m.metadata.device).toBe('cpu');
    expect(m.deviceReport.attempts[1]?.reason).toContain('software driver');
    await m.dispose();
  }, 300_000);
});
