// Runs in headless Chromium (bundled by webgpu-browser.test.ts with esbuild): loads a model (the
// fixture from /model/, or model-tiny from /model-tiny/) with @dynamojs/onnx/web on WebGPU and on
// WASM and compares them.
import { loadModel } from '../../src/web.js';

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

function scale(row: Float32Array): number {
  let m = 0;
  for (const v of row) m = Math.max(m, Math.abs(v));
  return m;
}

/** Live GPUBuffers (created − destroyed), counted by wrapping the WebGPU API before ORT starts. */
let liveBuffers = 0;
function countGpuBuffers(): void {
  const g = globalThis as unknown as {
    GPUDevice?: { prototype: { createBuffer: (...a: unknown[]) => { destroy: () => void } } };
    GPUBuffer?: { prototype: { destroy: () => void } };
  };
  if (!g.GPUDevice || !g.GPUBuffer) return;
  const create = g.GPUDevice.prototype.createBuffer;
  g.GPUDevice.prototype.createBuffer = function (...a: unknown[]) {
    liveBuffers++;
    return create.apply(this, a);
  };
  const destroy = g.GPUBuffer.prototype.destroy;
  g.GPUBuffer.prototype.destroy = function () {
    liveBuffers--;
    return destroy.call(this);
  };
}

export async function run(base: string, modelPath = '/model/', soak = true, variant?: string) {
  countGpuBuffers();
  const opts = { wasm: { wasmPaths: `${base}/ort/`, numThreads: 1 }, ...(variant && { variant }) };
  const gpu = await loadModel(`${base}${modelPath}`, { ...opts, device: 'auto' });
  const cpu = await loadModel(`${base}${modelPath}`, { ...opts, device: 'wasm' });
  const { vocabSize } = gpu.metadata;
  const ids = Array.from({ length: 38 }, (_, i) => 1 + ((i * 37) % (vocabSize - 1)));
  const cg = gpu.createCache();
  const cc = cpu.createCache();
  // the largest |Δlogit| of head 0 and of the extra heads, and the largest |logit|
  let worst = 0;
  let worstExtra = 0;
  let logitScale = 0;
  const headRows: number[][] = [];
  const compare = async (
    chunk: number[],
    positions: 'last' | 'all',
    parents?: number[],
    headPositions?: 'none' | number[],
  ) => {
    const options = { positions, ...(parents && { tree: { parents } }), ...(headPositions && { headPositions }) };
    const a = await gpu.forward(chunk, cg, options);
    const rows = Array.from({ length: a.heads }, (_, h) =>
      Array.from({ length: h === 0 ? a.positionCount : a.headPositionCount }, (_, i) => a.logits(h, i).slice()),
    );
    if (headPositions) headRows.push(Array.from(a.headRows ?? []));
    const b = await cpu.forward(chunk, cc, options);
    for (let h = 0; h < b.heads; h++) {
      for (let i = 0; i < (h === 0 ? b.positionCount : b.headPositionCount); i++) {
        const d = maxAbsDiff(rows[h]?.[i] as Float32Array, b.logits(h, i));
        if (h === 0) worst = Math.max(worst, d);
        else worstExtra = Math.max(worstExtra, d);
        logitScale = Math.max(logitScale, scale(b.logits(h, i)));
      }
    }
  };
  await compare(ids.slice(0, 8), 'all');
  const location = cg.location;
  for (let t = 8; t < 38; t++) await compare([ids[t] as number], 'last');
  cg.trim(20);
  cc.trim(20);
  await compare(ids.slice(20, 23), 'all');
  // token trees (graphs with tree_attention_mask): a tree pass, then compact() to an accepted path
  // (a Gather on the GPU) and a further chunk, WebGPU against WASM
  let treePasses = 0;
  let locationAfterCompact = 'none';
  if (gpu.metadata.treeAttention) {
    const parents = [-1, 0, 0, 1, 2, 2, -1, 6];
    const P = cg.length;
    await compare(ids.slice(23, 31), 'all', parents);
    const keep = [...Array.from({ length: P }, (_, i) => i), P, P + 2, P + 5];
    cg.compact(keep);
    cc.compact(keep);
    await compare(ids.slice(31, 33), 'all');
    locationAfterCompact = cg.location;
    treePasses++;
    // the extra heads at listed nodes only, then none at all
    await compare(ids.slice(33, 38), 'all', [-1, 0, 0, 1, 2], [2, 4]);
    await compare(ids.slice(20, 22), 'all', undefined, 'none');
  }
  // soak: 300 steps with chunks and trims; live GPU buffers must stay flat (replaced tensors are
  // released to ORT's buffer pool, not leaked)
  const buffers: number[] = [];
  for (let s = 0; soak && s < 300; s++) {
    if (s % 100 === 0) buffers.push(liveBuffers);
    if (cg.length + 2 > 100) cg.trim(16 + (s % 11));
    await gpu.forward(s % 5 === 0 ? [ids[s % 38] as number, 3] : [ids[s % 38] as number], cg);
    if (s % 20 === 19) cg.trim(cg.length - 2);
  }
  const result = {
    device: gpu.metadata.device,
    report: gpu.deviceReport.summary,
    location,
    treePasses,
    locationAfterCompact,
    worst,
    worstExtra,
    logitScale,
    headRows,
    lengthAfterSoak: cg.length,
    liveCaches: gpu.liveCaches,
    buffers: [...buffers, liveBuffers],
  };
  cg.dispose();
  cc.dispose();
  await gpu.dispose();
  await cpu.dispose();
  return result;
}
