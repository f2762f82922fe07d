import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDynamoError } from '@dynamojs/core';
import { generate } from '@dynamojs/generate';
import { modelDir } from '@dynamojs/model-tiny';
import { loadModel } from '@dynamojs/onnx/node';
import { draftHeadDrafter, dynamoChain, greedy, repetitionPenalty, sampling } from '@dynamojs/samplers';
import { describe, expect, it } from 'vitest';

/** PyTorch's outputs for four (hidden state, token) pairs (written by recipe/draft_head.py export). */
const ref = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'draft_head_ref.json'), 'utf8')) as {
  hidden: number[];
  ids: number[];
  next: number[];
  logits_sum: number[];
  logits_argmax: number[];
  logits_first: number[];
};

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  try {
    await p;
  } catch (error) {
    expect(isDynamoError(error), String(error)).toBe(true);
    expect((error as { code: string }).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}, but it resolved`);
}

describe('@dynamojs/model-tiny: the sequential draft head', () => {
  it('the ONNX draft head gives PyTorch’s outputs (next hidden state and logits)', async () => {
    const model = await loadModel(modelDir(), { device: 'cpu', baseOnly: true, draftHead: true });
    try {
      const head = model.draftHead;
      expect(head).toBeDefined();
      expect(model.metadata.hiddenSize).toBe(160);
      expect(head?.hiddenSize).toBe(160);
      for (let i = 0; i < ref.ids.length; i++) {
        const h = Float32Array.from(ref.hidden.slice(i * 160, (i + 1) * 160));
        const step = await head!.step(h, ref.ids[i] as number);
        for (let j = 0; j < 160; j++) expect(step.hidden[j]).toBeCloseTo(ref.next[i * 160 + j] as number, 3);
        for (let j = 0; j < 8; j++) expect(step.logits[j]).toBeCloseTo(ref.logits_first[i * 8 + j] as number, 3);
        let sum = 0;
        let arg = 0;
        for (let v = 0; v < step.logits.length; v++) {
          sum += step.logits[v] as number;
          if ((step.logits[v] as number) > (step.logits[arg] as number)) arg = v;
        }
        expect(sum / step.logits.length).toBeCloseTo((ref.logits_sum[i] as number) / step.logits.length, 3);
        expect(arg).toBe(ref.logits_argmax[i]);
      }
    } finally {
      await model.dispose();
    }
  });

  it('the base-only graph returns its final hidden state; the draft head continues it as the base would', async () => {
    const { loadTokenizer } = await import('@dynamojs/tokenizer');
    const tokenizer = await loadTokenizer(join(modelDir(), 'tokenizer.json'));
    const ids = Array.from(
      tokenizer.encode(
        'And God said unto Moses, Speak unto the children of Israel, that they go forward: but lift thou up ' +
          'thy rod, and stretch out thine hand over the sea, and divide it.',
      ),
    );
    const model = await loadModel(modelDir(), { device: 'cpu', baseOnly: true, draftHead: true });
    try {
      const r = await model.forward(ids, model.createCache(), { positions: 'all', headPositions: 'none' });
      const argmax = (l: Float32Array) => {
        let a = 0;
        for (let v = 1; v < l.length; v++) if ((l[v] as number) > (l[a] as number)) a = v;
        return a;
      };
      let agree = 0;
      for (let t = 0; t + 1 < ids.length; t++) {
        const hidden = r.hidden?.(t)?.slice();
        expect(hidden).toHaveLength(160);
        // one draft step from position t, fed the token at t + 1, predicts what follows it
        const step = await model.draftHead!.step(hidden!, ids[t + 1] as number);
        if (argmax(step.logits) === argmax(r.logits(0, t + 1))) agree++;
      }
      // the shipped head agrees with the base's top-1 on ~80% of held-out generated positions
      expect(agree / (ids.length - 1)).toBeGreaterThan(0.5);
    } finally {
      await model.dispose();
    }
  });

  it('overlapping steps (concurrent generations on one model) each give their own sequential result', async () => {
    const model = await loadModel(modelDir(), { device: 'cpu', baseOnly: true, draftHead: true });
    try {
      const head = model.draftHead!;
      const inputs = Array.from({ length: 6 }, (_, i) => {
        const h = new Float32Array(160);
        for (let j = 0; j < 160; j++) h[j] = Math.sin(i * 31 + j) * 0.5;
        return { h, token: 17 + i * 101 };
      });
      const sequential: Float32Array[] = [];
      for (const { h, token } of inputs) sequential.push((await head.step(h, token)).logits.slice());
      const overlapped = await Promise.all(inputs.map(({ h, token }) => head.step(h, token)));
      overlapped.forEach((step, i) => {
        expect(Array.from(step.logits)).toEqual(Array.from(sequential[i] as Float32Array));
      });
    } finally {
      await model.dispose();
    }
  });

  it('bad input: typed errors (wrong hidden size, token out of range, disposed; no hidden states)', async () => {
    const model = await loadModel(modelDir(), { device: 'cpu', baseOnly: true, draftHead: true });
    const head = model.draftHead!;
    await expectCode(head.step(new Float32Array(10), 1), 'DYNAMO_INVALID_OPTION');
    await expectCode(head.step(new Float32Array(160), 4096), 'DYNAMO_TOKEN_OUT_OF_RANGE');
    await model.dispose();
    await expectCode(head.step(new Float32Array(160), 1), 'DYNAMO_DISPOSED');
    // the multi-head graph has no hidden_states output: a draft head cannot be attached to it
    await expectCode(loadModel(modelDir(), { device: 'cpu', draftHead: true }), 'DYNAMO_MODEL_FORMAT');
  });

  it("generates with dynamoChain: several tokens per pass; chainLength 1 is exactly ar's tokens", async () => {
    const model = await loadModel(modelDir(), { device: 'cpu', baseOnly: true, draftHead: true });
    try {
      const common = { model, inputIds: [464, 3290, 286, 1204, 318], maxNewTokens: 48, seed: 7 };
      const processors = [repetitionPenalty(1.1)];
      const chain = await generate({
        ...common,
        processors,
        sampler: dynamoChain({ temperature: 0.7, topK: 50, draftTemperatureRatio: 0.89 }),
      });
      expect(chain.stats.mode).toBe('dynamo');
      expect(chain.tokens).toHaveLength(48);
      expect(chain.stats.tokensPerPass).toBeGreaterThan(1.5);
      expect(chain.stats.draftHead?.steps).toBeGreaterThan(0);
      const ar = await generate({
        ...common,
        processors,
        sampler: sampling({ temperature: 0.7, topK: 50 }),
        mode: 'ar',
      });
      const one = await generate({
        ...common,
        processors,
        sampler: dynamoChain({ temperature: 0.7, topK: 50, chainLength: 1 }),
      });
      expect(one.tokens).toEqual(ar.tokens);
    } finally {
      await model.dispose();
    }
  });

  it("verified with the draft head as drafter: greedy gives ar's tokens, several per pass", async () => {
    const model = await loadModel(modelDir(), { device: 'cpu', baseOnly: true, draftHead: true });
    try {
      const common = { model, inputIds: [464, 3290, 286, 1204, 318], maxNewTokens: 48, sampler: greedy() };
      const ar = await generate({ ...common, mode: 'ar' });
      const v = await generate({
        ...common,
        mode: 'verified',
        drafter: draftHeadDrafter({ head: model.draftHead!, draw: 'argmax' }),
      });
      expect(v.tokens).toEqual(ar.tokens);
      expect(v.stats.tokensPerPass).toBeGreaterThan(2);
    } finally {
      await model.dispose();
    }
  });
});
