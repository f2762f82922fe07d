import type { ForwardResult } from '@dynamojs/core';
import type { OnnxModel } from '@dynamojs/onnx';
import { describe, expect, it } from 'vitest';
import { MODELS, maxAbsDiff, RUNTIMES, tokens } from './helpers.js';

const STEPS = 30;
const PROMPT = 8;

/** Every head's logits at every position of one uncached pass over `ids`. */
async function uncached(model: OnnxModel, ids: number[]): Promise<ForwardResult> {
  const cache = model.createCache();
  const r = await model.forward(ids, cache, { positions: 'all' });
  // copy the rows out: the result is a view valid until the next forward
  const rows = Array.from({ length: r.heads }, (_, h) =>
    Array.from({ length: ids.length }, (_, i) => r.logits(h, i).slice()),
  );
  cache.dispose();
  return {
    heads: r.heads,
    positionCount: ids.length,
    headPositionCount: ids.length,
    logits: (h, i = ids.length - 1) => rows[h]?.[i] as Float32Array,
  };
}

describe.each(MODELS)('$name', ({ dir }) => {
  describe.each(RUNTIMES)('$name', (runtime) => {
    it('prefill + 30 cached steps = one uncached forward, for every head (≤ 1e-4)', async () => {
      const model = await runtime.load(dir);
      const { heads, vocabSize } = model.metadata;
      const ids = tokens(PROMPT + STEPS, vocabSize);
      const ref = await uncached(model, ids);
      expect(ref.heads).toBe(heads);

      const cache = model.createCache();
      let worst = 0;
      const pre = await model.forward(ids.slice(0, PROMPT), cache, { positions: 'all' });
      expect(pre.positionCount).toBe(PROMPT);
      for (let h = 0; h < heads; h++) {
        for (let i = 0; i < PROMPT; i++) worst = Math.max(worst, maxAbsDiff(pre.logits(h, i), ref.logits(h, i)));
      }
      for (let t = PROMPT; t < ids.length; t++) {
        const r = await model.forward([ids[t] as number], cache);
        expect(r.heads).toBe(heads);
        expect(r.positionCount).toBe(1);
        for (let h = 0; h < heads; h++) {
          expect(r.logits(h).length).toBe(vocabSize);
          worst = Math.max(worst, maxAbsDiff(r.logits(h), ref.logits(h, t)));
        }
      }
      expect(cache.length).toBe(ids.length);
      expect(worst).toBeLessThanOrEqual(1e-4);
      await model.dispose();
    });

    it('trim and re-append gives identical logits', async () => {
      const model = await runtime.load(dir);
      const { heads, vocabSize } = model.metadata;
      const ids = tokens(24, vocabSize, 11);
      const cache = model.createCache();
      await model.forward(ids.slice(0, 10), cache);
      const first: Float32Array[][] = [];
      for (let t = 10; t < 24; t++) {
        const r = await model.forward([ids[t] as number], cache);
        first.push(Array.from({ length: heads }, (_, h) => r.logits(h).slice()));
      }
      // roll back twice (lazy trims compose), then re-append the same tokens
      cache.trim(20);
      cache.trim(15);
      expect(cache.length).toBe(15);
      for (let t = 15; t < 24; t++) {
        const r = await model.forward([ids[t] as number], cache);
        for (let h = 0; h < heads; h++) expect(maxAbsDiff(r.logits(h), first[t - 10]?.[h] as Float32Array)).toBe(0);
      }
      // a rejected draft: append 3 other tokens as a chunk, trim them, re-append the real ones
      cache.trim(20);
      await model.forward([1, 2, 3], cache, { positions: 'all' });
      cache.trim(20);
      const r = await model.forward(ids.slice(20, 24), cache, { positions: 'all' });
      for (let h = 0; h < heads; h++) {
        for (let i = 0; i < 4; i++) {
          expect(maxAbsDiff(r.logits(h, i), first[10 + i]?.[h] as Float32Array)).toBeLessThanOrEqual(1e-4);
        }
      }
      // trim to 0 and start over
      cache.trim(0);
      expect(cache.length).toBe(0);
      await model.forward(ids.slice(0, 10), cache);
      const again = await model.forward([ids[10] as number], cache);
      for (let h = 0; h < heads; h++)
        expect(maxAbsDiff(again.logits(h), first[0]?.[h] as Float32Array)).toBeLessThanOrEqual(1e-5);
      await model.dispose();
    });

    it('chunked appends (1, 2, 3 tokens) agree with one pass', async () => {
      const model = await runtime.load(dir);
      const { heads, vocabSize } = model.metadata;
      const ids = tokens(30, vocabSize, 5);
      const ref = await uncached(model, ids);
      const cache = model.createCache();
      let t = 0;
      let worst = 0;
      for (let c = 0; t < ids.length; c++) {
        const n = Math.min((c % 3) + 1, ids.length - t);
        const r = await model.forward(ids.slice(t, t + n), cache, { positions: 'all' });
        expect(r.positionCount).toBe(n);
        expect(r.headPositionCount).toBe(heads > 1 ? n : 0);
        for (let h = 0; h < heads; h++) {
          for (let i = 0; i < n; i++) worst = Math.max(worst, maxAbsDiff(r.logits(h, i), ref.logits(h, t + i)));
        }
        t += n;
      }
      expect(worst).toBeLessThanOrEqual(1e-4);
      await model.dispose();
    });

    it('returns only the positions asked, as views of the output', async () => {
      const model = await runtime.load(dir);
      const { heads, vocabSize } = model.metadata;
      const ids = tokens(6, vocabSize, 3);
      const ref = await uncached(model, ids);
      const cache = model.createCache();
      const r = await model.forward(ids, cache, { positions: 2, headPositions: 3 });
      expect(r.positionCount).toBe(2);
      expect(r.logits(0, 0)).toEqual(ref.logits(0, 4));
      expect(maxAbsDiff(r.logits(0), ref.logits(0, 5))).toBeLessThanOrEqual(1e-5);
      if (heads > 1) {
        expect(r.headPositionCount).toBe(3);
        for (let h = 1; h < heads; h++) {
          for (let i = 0; i < 3; i++)
            expect(maxAbsDiff(r.logits(h, i), ref.logits(h, 3 + i))).toBeLessThanOrEqual(1e-5);
        }
      }
      // views, not copies: rows share the output tensor's buffer
      const a = r.logits(0, 0);
      const b = r.logits(0, 1);
      expect(a.buffer).toBe(b.buffer);
      expect(b.byteOffset - a.byteOffset).toBe(vocabSize * 4);
      // 'none' skips the extra heads
      cache.trim(0);
      const base = await model.forward(ids, cache, { headPositions: 'none' });
      expect(base.heads).toBe(1);
      expect(base.headPositionCount).toBe(0);
      expect(maxAbsDiff(base.logits(0), ref.logits(0, 5))).toBeLessThanOrEqual(1e-5);
      await model.dispose();
    });

    it('the q8 variant loads (MatMulNBits in model-tiny) and stays close to fp32', async () => {
      const f = await runtime.load(dir);
      const q = await runtime.load(dir, { variant: 'q8' });
      expect(q.variant).toBe('q8');
      expect(q.file).toMatch(/model_q8\.onnx$/);
      const ids = tokens(16, f.metadata.vocabSize, 2);
      const a = await f.forward(ids, f.createCache(), { positions: 'all' });
      const rows = Array.from({ length: a.heads }, (_, h) => a.logits(h).slice());
      const b = await q.forward(ids, q.createCache(), { positions: 'all' });
      for (let h = 0; h < a.heads; h++) {
        let scale = 0;
        for (const v of rows[h] as Float32Array) scale = Math.max(scale, Math.abs(v));
        expect(maxAbsDiff(rows[h] as Float32Array, b.logits(h))).toBeLessThanOrEqual(0.05 * Math.max(1, scale));
      }
      await f.dispose();
      await q.dispose();
    });

    it('baseOnly loads the base graph as a 1-head model equal to head 0', async () => {
      const model = await runtime.load(dir);
      const base = await runtime.load(dir, { baseOnly: true });
      expect(base.metadata.heads).toBe(1);
      expect(base.baseOnly).toBe(true);
      expect(base.graph.cacheLayers).toBe(model.manifest.architecture.layers);
      const ids = tokens(20, model.metadata.vocabSize, 9);
      const c1 = model.createCache();
      const c2 = base.createCache();
      await model.forward(ids.slice(0, 12), c1);
      await base.forward(ids.slice(0, 12), c2);
      let worst = 0;
      for (let t = 12; t < 20; t++) {
        const a = await model.forward([ids[t] as number], c1);
        const b = await base.forward([ids[t] as number], c2);
        expect(b.heads).toBe(1);
        worst = Math.max(worst, maxAbsDiff(a.logits(0), b.logits(0)));
      }
      expect(worst).toBeLessThanOrEqual(1e-4);
      await model.dispose();
      await base.dispose();
    });
  });
});
