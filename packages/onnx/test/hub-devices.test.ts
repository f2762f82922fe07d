// The hub-layout fixtures (make_hub_exports.py) on the other providers: onnxruntime-web's WASM (the
// web entry, in Node, from in-memory files) and onnxruntime-node's WebGPU EP (Dawn → Vulkan; here
// SwiftShader). Greedy `ar` must equal the CPU's tokens, and `verified` (n-gram drafts: several rows
// per pass, the cache trimmed on the device) must equal `ar`. fp16 graphs need the adapter's
// "shader-f16": SwiftShader has none, which must be a typed error naming the fix.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isDynamoError, type MultiTokenModel } from '@dynamojs/core';
import { generate } from '@dynamojs/generate';
import { loadModel } from '@dynamojs/onnx/node';
import { loadModel as loadWebModel } from '@dynamojs/onnx/web';
import { greedy, ngramDrafter } from '@dynamojs/samplers';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureHubExports, HUB, hasTorch } from './fixtures/hubExports.js';

const FAMILIES = ['llama', 'mistral', 'qwen2', 'qwen3', 'phi3', 'gemma', 'gemma2', 'gemma3_text', 'gpt2', 'gpt_neox'];
const PROMPT = [5, 17, 42, 9, 77, 3];
const N = 16;

const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const hasVulkan = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1'].some((f) => existsSync(f));
const webgpu = process.platform === 'linux' && hasVulkan && (existsSync(ICD) || !!process.env.VK_ICD_FILENAMES);
if (webgpu && !process.env.VK_ICD_FILENAMES) process.env.VK_ICD_FILENAMES = ICD;

/** Every file under `dir` by relative path (what a page would fetch). */
function files(dir: string, prefix = ''): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) Object.assign(out, files(path, `${prefix}${name}/`));
    else out[`${prefix}${name}`] = new Uint8Array(readFileSync(path));
  }
  return out;
}

async function run(model: MultiTokenModel) {
  const opts = { model, inputIds: PROMPT, eos: false as const, maxNewTokens: N };
  const ar = await generate({ ...opts, mode: 'ar', sampler: greedy() });
  const v = await generate({ ...opts, mode: 'verified', drafter: ngramDrafter() });
  return { ar: [...ar.tokens], v: [...v.tokens] };
}

describe.skipIf(!hasTorch).each(FAMILIES)('hub export %s on wasm and webgpu', (family) => {
  const dir = join(HUB, family);
  const cpu: Record<string, number[]> = {};
  beforeAll(async () => {
    ensureHubExports();
    for (const dtype of ['fp32', 'q4']) {
      const model = await loadModel(dir, { device: 'cpu', dtype });
      cpu[dtype] = (await run(model)).ar;
      await model.dispose();
    }
  }, 180_000);

  it.each(['fp32', 'q4'])('wasm %s: ar = the CPU, verified = ar', async (dtype) => {
    const model = await loadWebModel(files(dir), { device: 'wasm', dtype });
    try {
      expect(model.metadata.device).toBe('wasm');
      const { ar, v } = await run(model);
      expect(ar).toEqual(cpu[dtype]);
      expect(v).toEqual(ar);
    } finally {
      await model.dispose();
    }
  });

  it.skipIf(!webgpu).each(['fp32', 'q4'])('webgpu %s: ar = the CPU, verified = ar', async (dtype) => {
    const model = await loadModel(dir, { device: 'webgpu', dtype });
    try {
      expect(model.metadata.device).toBe('webgpu');
      const { ar, v } = await run(model);
      expect(ar).toEqual(cpu[dtype]);
      expect(v).toEqual(ar);
    } finally {
      await model.dispose();
    }
  });

  it.skipIf(!webgpu || family !== 'llama')('webgpu fp16 without shader-f16: a typed error naming the fix', async () => {
    const model = await loadModel(dir, { device: 'webgpu', dtype: 'fp16' });
    try {
      const ar = await run(model).catch((e: unknown) => e);
      if (Array.isArray((ar as { ar?: unknown }).ar)) return; // an adapter with shader-f16 runs it
      expect(isDynamoError(ar) && ar.code).toBe('DYNAMO_UNSUPPORTED');
      expect(String((ar as Error).message)).toMatch(/shader-f16.*fp32 or q4/);
    } finally {
      await model.dispose();
    }
  });
});
