import { createRng, DynamoErrorCode, isDynamoError, type LogitsProcessor } from '@dynamojs/core';
import { describe, expect, it } from 'vitest';
import {
  DYNAMO_ABLATIONS,
  DYNAMO_PRESETS,
  dynamo,
  dynamoAblation,
  multinomialFromLogits,
  resolveDynamoOptions,
  temperature,
  topK,
} from '../src/index.js';
import { makeStepView, randomDocs, randomHeadLogits, tablesFrom } from './dynamoFixtures.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (isDynamoError(error)) return error.code;
    throw error;
  }
  return undefined;
}

const V = 60;
const docs = randomDocs(V, 80, 200, 11);
const tables = tablesFrom(docs, V);

/** Plain top-k sampling with the classic processors: temperature → top-k → softmax → multinomial. */
function plainTopK(logits: Float32Array, k: number, T: number, rng: { next(): number }): number {
  const row = logits.slice();
  temperature(T).process(row);
  topK(k).process(row);
  return multinomialFromLogits(row, rng);
}

describe('dynamo(): options', () => {
  it("preset 'paper' follows the paper; the default preset is 'calibrated'", () => {
    const calibrated = dynamo({ tables });
    const { headTemperature, jointTopK, ...rest } = DYNAMO_PRESETS.calibrated;
    expect(calibrated.options).toMatchObject({ preset: 'calibrated', ...rest });
    // resolved: one temperature per extra head, and the joint's k defaults to the sampler's top-k
    expect(calibrated.options.headTemperature).toEqual([headTemperature]);
    expect(jointTopK).toBeUndefined();
    expect(calibrated.options.jointTopK).toBe(calibrated.options.topK);
    expect(dynamo({ tables, preset: 'calibrated', epsilon: 0.3 }).options.epsilon).toBe(0.3);
    const s = dynamo({ tables, preset: 'paper' });
    expect(s.heads).toBe(3);
    expect(s.options).toMatchObject({
      preset: 'paper',
      draw: 'thresholded',
      headTemperature: [0.7],
      contextPenalty: 1,
      epsilon: 0.5,
      alpha: 1,
      topK: 50,
      temperature: 0.7,
      blur: 3,
      repetitionPenalty: 1.1,
      adaptiveThreshold: true,
      mask: true,
      renormalize: 'full',
      staticThreshold: 'epsilon-power',
      repetition: 'within',
      sampleBlurred: false,
    });
  });

  it('bad options are DYNAMO_INVALID_OPTION; masking without tables must be switched off explicitly', () => {
    for (const bad of [
      { epsilon: -0.1 },
      { epsilon: 1.5 },
      { epsilon: Number.NaN },
      { topK: 0 },
      { topK: 2.5 },
      { temperature: 0 },
      { blur: 4 },
      { alpha: -1 },
      { maxTokens: 4 },
      { renormalize: 'sometimes' },
      { staticThreshold: 'x' },
      { repetition: 'all' },
      { repetitionPenalty: 0 },
      { topK: 129 }, // 129^3 cells > 2^21
      { preset: 'fast' },
      { draw: 'blurred' },
      { headTemperature: 0 },
      { headTemperature: [] },
      { headTemperature: [1, -1] },
      { contextPenalty: 0.5 },
    ]) {
      expect(codeOf(() => dynamo({ tables, ...(bad as object) }))).toBe(DynamoErrorCode.INVALID_OPTION);
    }
    expect(codeOf(() => dynamo())).toBe(DynamoErrorCode.INVALID_OPTION);
    expect(codeOf(() => dynamo({ mask: false }))).toBeUndefined();
    expect(codeOf(() => dynamo({ tables, vocabSize: V + 1 }))).toBe(DynamoErrorCode.VOCAB_MISMATCH);
    expect(codeOf(() => dynamoAblation('nope' as 'mask', { tables }))).toBe(DynamoErrorCode.INVALID_OPTION);
  });

  it('ablation presets reproduce the paper variants', () => {
    expect(resolveDynamoOptions({ ...DYNAMO_ABLATIONS['no-mask'] })).toMatchObject({
      mask: false,
      adaptiveThreshold: false,
    });
    expect(dynamoAblation('mask', { tables }).options).toMatchObject({
      mask: true,
      adaptiveThreshold: false,
      alpha: 1,
    });
    expect(dynamoAblation('mask-alpha-0.5', { tables }).options).toMatchObject({
      alpha: 0.5,
      adaptiveThreshold: false,
    });
    expect(dynamoAblation('mask-adaptive', { tables }).options).toMatchObject({ adaptiveThreshold: true, blur: 0 });
    expect(dynamoAblation('full', { tables }).options).toMatchObject({ adaptiveThreshold: true, blur: 3 });
    // no-mask runs without tables
    const s = dynamoAblation('no-mask', { epsilon: 0 });
    expect(s.sample(makeStepView(randomHeadLogits(V, 3, 1))).length).toBe(3);
  });
});

describe('dynamo(): robustness', () => {
  it('NaN / +Infinity logits in any used head are DYNAMO_INVALID_LOGITS', () => {
    const s = dynamo({ tables, epsilon: 0 });
    for (const head of [0, 1, 2]) {
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
        const logits = randomHeadLogits(V, 3, 2);
        (logits[head] as Float32Array)[7] = bad;
        expect(codeOf(() => s.sample(makeStepView(logits)))).toBe(DynamoErrorCode.INVALID_LOGITS);
      }
    }
    const wrongLength = randomHeadLogits(V, 3, 2);
    wrongLength[1] = new Float32Array(V - 1);
    expect(codeOf(() => s.sample(makeStepView(wrongLength)))).toBe(DynamoErrorCode.INVALID_LOGITS);
  });

  it('all-masked head 0 is DYNAMO_SAMPLER; an all-masked later head means fewer heads', () => {
    const s = dynamo({ tables, epsilon: 0 });
    const logits = randomHeadLogits(V, 3, 3);
    (logits[0] as Float32Array).fill(Number.NEGATIVE_INFINITY);
    expect(codeOf(() => s.sample(makeStepView(logits)))).toBe(DynamoErrorCode.SAMPLER);
    const l2 = randomHeadLogits(V, 3, 3);
    (l2[1] as Float32Array).fill(Number.NEGATIVE_INFINITY);
    expect(s.sample(makeStepView(l2)).length).toBe(1);
  });

  it('tables for another vocabulary: DYNAMO_VOCAB_MISMATCH at the first step, never a token', () => {
    const s = dynamo({ tables });
    expect(codeOf(() => s.sample(makeStepView(randomHeadLogits(V + 5, 3, 4))))).toBe(DynamoErrorCode.VOCAB_MISMATCH);
  });

  it('an all-masked joint backs off to one token (plain top-k sample)', () => {
    // tables where every n-gram starts with token 0; head 0's top-k never contains 0
    const t = tablesFrom(
      [
        [0, 1],
        [0, 2],
        [0, 3],
        [0, 4],
        [0, 5],
      ],
      10,
    );
    const s = dynamo({ tables: t, epsilon: 0, topK: 3 });
    const logits = randomHeadLogits(10, 3, 5);
    (logits[0] as Float32Array)[0] = -50;
    for (let seed = 0; seed < 20; seed++) {
      const out = s.sample(makeStepView(logits, { seed }));
      expect(out.length).toBe(1);
      expect(out[0]).toBe(plainTopK(logits[0] as Float32Array, 3, 0.7, createRng(seed)));
    }
    expect(s.stats.emitted[1]).toBe(20);
  });
});

describe('dynamo(): behaviour', () => {
  it('masked multi-token emissions are n-grams seen in the tables, from the heads top-k', () => {
    const s = dynamo({ tables, epsilon: 0, topK: 10 });
    let multi = 0;
    for (let seed = 0; seed < 60; seed++) {
      const logits = randomHeadLogits(V, 3, seed);
      const out = Array.from(s.sample(makeStepView(logits, { seed })));
      if (out.length >= 2) {
        multi++;
        expect(Number.isFinite(tables.logPmi(out))).toBe(true);
      }
    }
    expect(multi).toBeGreaterThan(30);
    expect(s.stats.steps).toBe(60);
    s.reset();
    expect(s.stats.steps).toBe(0);
  });

  it('emits at most view.maxTokens, view.heads, maxTokens and the table order', () => {
    const logits = randomHeadLogits(V, 3, 8);
    const s = dynamo({ mask: false, epsilon: 0 });
    expect(s.sample(makeStepView(logits, { maxTokens: 2 })).length).toBe(2);
    expect(s.sample(makeStepView(logits, { heads: 1, maxTokens: 1 })).length).toBe(1);
    expect(dynamo({ mask: false, epsilon: 0, maxTokens: 2 }).sample(makeStepView(logits)).length).toBe(2);
    const order2 = tablesFrom(docs, V, { order: 2 });
    for (let seed = 0; seed < 20; seed++) {
      expect(
        dynamo({ tables: order2, epsilon: 0 }).sample(makeStepView(randomHeadLogits(V, 3, seed))).length,
      ).toBeLessThanOrEqual(2);
    }
  });

  it('processors run on a copy of every head before top-k', () => {
    const banned = 5;
    const ban: LogitsProcessor = { name: 'ban', process: (l) => void (l[banned] = Number.NEGATIVE_INFINITY) };
    const s = dynamo({ mask: false, epsilon: 0, processors: [ban], topK: 5 });
    for (let seed = 0; seed < 30; seed++) {
      const logits = randomHeadLogits(V, 3, seed);
      for (const row of logits) row[banned] = 100;
      const out = Array.from(s.sample(makeStepView(logits, { seed })));
      expect(out).not.toContain(banned);
      expect(logits[0]?.[banned]).toBe(100); // runtime buffer untouched
    }
  });

  it("renormalize: 'full' trusts a lone surviving n-gram, 'mass' backs off from it", () => {
    // heads are confident in 1 2 3, but only the unlikely triplet 4 5 6 was ever seen
    const t = tablesFrom([[4, 5, 6]], 10);
    const logits = [1, 2, 3].map((tok) => {
      const row = new Float32Array(10);
      row[tok] = 4;
      return row;
    });
    const full = dynamo({ tables: t, renormalize: 'full' }).sample(makeStepView(logits));
    expect(Array.from(full)).toEqual([4, 5, 6]);
    const mass = dynamo({ tables: t, renormalize: 'mass' }).sample(makeStepView(logits));
    expect(mass.length).toBe(1);
  });

  it('a confident joint emits 3 tokens at the default eps_b 0.5; an uncertain one backs off', () => {
    const t = tablesFrom([[1, 2, 3, 1, 2, 3, 4, 5, 6]], 10);
    const s = dynamo({ tables: t });
    const confident = [1, 2, 3].map((tok) => {
      const row = new Float32Array(10).fill(-5);
      row[tok] = 5;
      return row;
    });
    expect(Array.from(s.sample(makeStepView(confident)))).toEqual([1, 2, 3]);
    const flat = [0, 1, 2].map(() => new Float32Array(10));
    const outFlat = s.sample(makeStepView(flat));
    expect(outFlat.length).toBeLessThanOrEqual(3);
    // fully uncertain heads over 10 tokens with the no-mask variant: cells are 1/1000 → 1 token
    expect(dynamoAblation('no-mask').sample(makeStepView(flat)).length).toBe(1);
  });
});
