import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURE, MODELS, maxAbsDiff, RUNTIMES, tokens } from './helpers.js';

// The fixture's base/ folder is a transformers.js / Optimum layout: config.json, tokenizer.json,
// onnx/model.onnx, no dynamo.json, no head_logits, no num_logits_to_keep.
const AR = join(FIXTURE, 'base');

describe.each(RUNTIMES)('plain autoregressive export ($name)', (runtime) => {
  const tmp: string[] = [];
  afterAll(() => {
    for (const d of tmp) rmSync(d, { recursive: true, force: true });
  });

  it('loads as a 1-head model from config.json and matches the base-only graph', async () => {
    const ar = await runtime.load(AR);
    expect(ar.metadata.heads).toBe(1);
    expect(ar.metadata.vocabSize).toBe(96);
    expect(ar.metadata.contextLength).toBe(160);
    expect(ar.metadata.specialTokens).toEqual({ eos: 0, bos: 0 });
    expect(ar.graph.hasLogitsToKeep).toBe(false);
    expect(ar.graph.extraHeads).toBe(0);
    const base = await runtime.load(FIXTURE, { baseOnly: true });
    const ids = tokens(16, 96, 21);
    const c1 = ar.createCache();
    const c2 = base.createCache();
    // no num_logits_to_keep: the adapter picks the rows itself
    const a = await ar.forward(ids.slice(0, 10), c1, { positions: 3 });
    const b = await base.forward(ids.slice(0, 10), c2, { positions: 3 });
    expect(a.heads).toBe(1);
    expect(a.headPositionCount).toBe(0);
    for (let i = 0; i < 3; i++) expect(maxAbsDiff(a.logits(0, i), b.logits(0, i))).toBe(0);
    for (let t = 10; t < 16; t++) {
      const x = await ar.forward([ids[t] as number], c1);
      const y = await base.forward([ids[t] as number], c2);
      expect(maxAbsDiff(x.logits(0), y.logits(0))).toBeLessThanOrEqual(1e-6);
    }
    await ar.dispose();
    await base.dispose();
  });

  it.each(MODELS)("$name's base/ folder (config.json + onnx/model.onnx) equals baseOnly", async ({ dir }) => {
    const ar = await runtime.load(join(dir, 'base'));
    const base = await runtime.load(dir, { baseOnly: true });
    expect(ar.metadata.heads).toBe(1);
    expect(ar.metadata.vocabSize).toBe(base.metadata.vocabSize);
    const ids = tokens(12, ar.metadata.vocabSize, 8);
    const a = await ar.forward(ids, ar.createCache(), { positions: 'all' });
    const b = await base.forward(ids, base.createCache(), { positions: 'all' });
    for (let i = 0; i < ids.length; i++) expect(maxAbsDiff(a.logits(0, i), b.logits(0, i))).toBe(0);
    await ar.dispose();
    await base.dispose();
  });

  it('picks transformers.js dtype files (q8 → onnx/model_quantized.onnx)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dynamo-ar-'));
    tmp.push(dir);
    cpSync(join(AR, 'config.json'), join(dir, 'config.json'));
    cpSync(join(AR, 'onnx', 'model.onnx'), join(dir, 'onnx', 'model_quantized.onnx'));
    const m = await runtime.load(dir, { variant: 'q8' });
    expect(m.variant).toBe('q8');
    expect(m.file).toContain('model_quantized.onnx');
    await m.dispose();
    await expect(runtime.load(dir, { variant: 'fp32' })).rejects.toMatchObject({ code: 'DYNAMO_MODEL_LOAD' });
    if (runtime.name.includes('wasm')) {
      // transformers.js's default on wasm is q8
      const d = await runtime.load(dir);
      expect(d.variant).toBe('q8');
      await d.dispose();
    } else {
      await expect(runtime.load(dir)).rejects.toMatchObject({ code: 'DYNAMO_MODEL_LOAD' });
    }
  });
});
