import { createRng, type ProcessorContext } from '@dynamojs/core';
import { softmax as hfSoftmax, Tensor, topk } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { softmax, topK, topKIndices } from '../src/index.js';
import { expectDynamoError, keptSet, randomLogits, refOrder } from './classicHelpers.js';

const ctx: ProcessorContext = { head: 0, history: new Int32Array(0) };

describe('topK', () => {
  it('matches transformers.js top-k sampling (onnxruntime TopK + softmax): same kept set, probabilities within 1e-6', async () => {
    const rng = createRng(2);
    for (const vocab of [10, 1000, 50_257]) {
      for (const k of [1, 2, 5, 50, 999]) {
        if (k > vocab) continue;
        const logits = randomLogits(rng, vocab);
        const [values, indices] = await topk(new Tensor('float32', logits.slice(), [1, vocab]), k);
        const theirIds = Array.from(indices.data as BigInt64Array, Number);
        const theirProbs = hfSoftmax(values.data as Float32Array) as Float32Array;

        const ours = logits.slice();
        topK(k).process(ours, ctx);
        const kept = keptSet(ours);
        expect(kept).toEqual([...theirIds].sort((a, b) => a - b));
        const p = softmax(ours);
        theirIds.forEach((id, j) => {
          expect(Math.abs((p[id] as number) - (theirProbs[j] as number))).toBeLessThan(1e-6);
        });
        const sum = theirIds.reduce((acc, id) => acc + (p[id] as number), 0);
        expect(Math.abs(sum - 1)).toBeLessThan(1e-5); // nothing outside the kept set
      }
    }
  });

  it('keeps exactly k tokens, ties at the cut-off going to the lowest ids', () => {
    const l = new Float32Array([1, 3, 3, 3, 2, 3]);
    topK(2).process(l, ctx);
    expect(keptSet(l)).toEqual([1, 2]);
    const m = new Float32Array([0, 0, 0, 0]);
    topK(3).process(m, ctx);
    expect(keptSet(m)).toEqual([0, 1, 2]);
  });

  it('leaves rows with fewer than k unmasked tokens unchanged, and k ≥ vocab is a no-op', () => {
    const l = new Float32Array([Number.NEGATIVE_INFINITY, 1, Number.NEGATIVE_INFINITY, 2]);
    const copy = l.slice();
    topK(3).process(l, ctx);
    expect(l).toEqual(copy);
    const r = new Float32Array([1, 2, 3]);
    topK(10).process(r, ctx);
    expect(Array.from(r)).toEqual([1, 2, 3]);
  });

  it('rejects k < 1 or non-integer k with DYNAMO_INVALID_OPTION', () => {
    for (const bad of [0, -3, 1.5, Number.NaN]) {
      expect(expectDynamoError(() => topK(bad), 'DYNAMO_INVALID_OPTION').details.option).toBe('topK');
    }
  });
});

describe('topKIndices', () => {
  it('returns the k best, best first, ties to the lowest index, skipping -Infinity and NaN', () => {
    const rng = createRng(3);
    for (let trial = 0; trial < 50; trial++) {
      const n = 1 + Math.floor(rng.next() * 200);
      const v = new Float32Array(n);
      // coarse values so ties are common
      for (let i = 0; i < n; i++) v[i] = rng.next() < 0.1 ? Number.NEGATIVE_INFINITY : Math.floor(rng.next() * 10);
      const k = 1 + Math.floor(rng.next() * n);
      const out = new Int32Array(k);
      const count = topKIndices(v, k, out);
      const expected = refOrder(v)
        .filter((i) => (v[i] as number) > Number.NEGATIVE_INFINITY)
        .slice(0, k);
      expect(Array.from(out.subarray(0, count))).toEqual(expected);
    }
    const withNaN = new Float32Array([Number.NaN, 1, Number.NaN, 0]);
    const out = new Int32Array(4);
    expect(topKIndices(withNaN, 4, out)).toBe(2);
    expect(Array.from(out.subarray(0, 2))).toEqual([1, 3]);
  });
});
