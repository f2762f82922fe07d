import { distinctN, meanInterval, multiTokenPerplexity, oracleNll, repetitionRate } from '@dynamojs/eval';
import { describe, expect, it } from 'vitest';
import { tableModel } from './fakeModel.js';

const L = Math.log;
// vocab 2. head 0: after token 0 → p(1) = 0.8; after 1 → p(0) = 0.5. head 1: p(0) = 0.25 always.
const model = () =>
  tableModel([
    [
      [L(0.2), L(0.8)],
      [L(0.5), L(0.5)],
    ],
    [
      [L(0.25), L(0.75)],
      [L(0.25), L(0.75)],
    ],
  ]);

describe('multiTokenPerplexity', () => {
  it('matches a hand-computed case', async () => {
    const text = [0, 1, 0, 1, 1];
    const r = await multiTokenPerplexity(model(), text, { epsilons: [0, 1] });
    // head 0 (PPL_1): predictions of x1..x4 from x0..x3: p = .8, .5, .8, .5
    const l1 = [L(0.8), L(0.5), L(0.8), L(0.5)];
    expect(r.pplHead[0]).toBeCloseTo(Math.exp(-(l1[0]! + l1[1]! + l1[2]! + l1[3]!) / 4), 6);
    // head 1 (PPL_2): predictions of x2..x4 from x0..x2: targets 0,1,1 → .25, .75, .75
    const l2 = [L(0.25), L(0.75), L(0.75)];
    expect(r.pplHead[1]).toBeCloseTo(Math.exp(-(l2[0]! + l2[1]! + l2[2]!) / 3), 6);
    // PPL_1:2 over t = 0..2: log p0 + log p1
    const j = [l1[0]! + l2[0]!, l1[1]! + l2[1]!, l1[2]! + l2[2]!];
    expect(r.pplJoint[1]).toBeCloseTo(Math.exp(-(j[0]! + j[1]! + j[2]!) / 3 / 2), 6);
    expect(r.pplJoint[0]).toBeCloseTo(r.pplHead[0]!, 6);
    // eps = 1 never emits 2 tokens: PPL_d = PPL_1; eps = 0 always emits 2 where possible.
    const d1 = r.dynamic.find((d) => d.epsilon === 1)!;
    expect(d1.ppl).toBeCloseTo(r.pplHead[0]!, 6);
    expect(d1.tokensPerStep).toBe(1);
    const d0 = r.dynamic.find((d) => d.epsilon === 0)!;
    // t=0: emit 2 (x1,x2) ; t=2: emit 2 (x3,x4) → logs l1[0]+l2[0] + l1[2]+l2[2] over 4 tokens
    expect(d0.ppl).toBeCloseTo(Math.exp(-(l1[0]! + l2[0]! + l1[2]! + l2[2]!) / 4), 6);
    expect(d0.tokensPerStep).toBe(2);
    expect(d0.emissionShare).toEqual([0, 1]);
  });

  it('gives the same result with sliding windows as in one window', async () => {
    const text = Array.from({ length: 40 }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0));
    const whole = await multiTokenPerplexity(model(), text, { window: 64 });
    const windowed = await multiTokenPerplexity(model(), text, { window: 8, stride: 3 });
    // The fake has no long-range context, so windowing must not change any number.
    for (const [h, p] of whole.pplHead.entries()) expect(windowed.pplHead[h]).toBeCloseTo(p, 10);
    for (const [h, p] of whole.pplJoint.entries()) expect(windowed.pplJoint[h]).toBeCloseTo(p, 10);
  });

  it('rejects bad input with typed errors', async () => {
    await expect(multiTokenPerplexity(model(), [0, 5, 1])).rejects.toMatchObject({ code: 'DYNAMO_TOKEN_OUT_OF_RANGE' });
    await expect(multiTokenPerplexity(model(), [0, 1, 0], { window: 1 })).rejects.toMatchObject({
      code: 'DYNAMO_INVALID_OPTION',
    });
    await expect(multiTokenPerplexity(model(), [0, 1, 0, 1], { epsilons: [2] })).rejects.toMatchObject({
      code: 'DYNAMO_INVALID_OPTION',
    });
    await expect(multiTokenPerplexity(model(), [0])).rejects.toMatchObject({ code: 'DYNAMO_INVALID_OPTION' });
  });
});

describe('oracleNll', () => {
  it('is the mean NLL of the continuation under head 0', async () => {
    const nll = await oracleNll(model(), [0], [1, 0]);
    expect(nll).toBeCloseTo(-(L(0.8) + L(0.5)) / 2, 6);
    expect(await oracleNll(model(), [0], [])).toBe(0);
  });
});

describe('text metrics', () => {
  it('repetition rate and distinct-n', () => {
    expect(repetitionRate([1, 2, 3, 4, 5])).toBe(0);
    expect(repetitionRate([1, 2, 3, 1, 2, 3])).toBeCloseTo(1 / 4);
    expect(repetitionRate([7, 7, 7, 7, 7])).toBeCloseTo(2 / 3);
    expect(repetitionRate([1, 2])).toBe(0);
    expect(distinctN([1, 2, 1, 2], 1)).toBe(0.5);
    expect(distinctN([1, 2, 1, 2], 2)).toBeCloseTo(2 / 3);
    expect(distinctN([], 2)).toBe(0);
  });

  it('mean with a 95% interval', () => {
    const m = meanInterval([1, 2, 3, 4, 5]);
    expect(m.mean).toBe(3);
    // sd = 1.5811, t(4) = 2.776 → half width 1.963
    expect(m.high - m.mean).toBeCloseTo(1.963, 2);
    expect(meanInterval([2]).low).toBe(2);
  });
});
