import { multiTokenPerplexity } from '@dynamojs/eval';
import { buildCoOccurrenceTablesSync, loadCoOccurrenceTables } from '@dynamojs/samplers';
import { describe, expect, it } from 'vitest';
import { tableModel } from './fakeModel.js';

const L = Math.log;
const P0 = [
  [0.1, 0.6, 0.3],
  [0.2, 0.2, 0.6],
  [0.5, 0.25, 0.25],
];
const P1 = [
  [0.2, 0.3, 0.5],
  [0.6, 0.2, 0.2],
  [0.3, 0.4, 0.3],
];
const model = () => tableModel([P0.map((r) => r.map(L)), P1.map((r) => r.map(L))]);
// Seen pairs: (0,1), (1,2), (2,0) — everything else is masked.
const tables = () =>
  loadCoOccurrenceTables(
    buildCoOccurrenceTablesSync(
      [
        [0, 1],
        [1, 2],
        [2, 0],
      ],
      { vocabSize: 3, order: 2, minCount: 1 },
    ),
    { vocabSize: 3 },
  );
const seen = (a: number, b: number) => (a === 0 && b === 1) || (a === 1 && b === 2) || (a === 2 && b === 0);

describe('PPL_1:2 under the co-occurrence-masked joint', () => {
  it('matches a hand-computed case (alpha 0: the binary mask, k = V, T = 1)', async () => {
    const text = [0, 1, 2, 0, 0];
    const floor = 0.01;
    const r = await multiTokenPerplexity(model(), text, { masked: { tables: tables(), alpha: 0, topK: 3, floor } });
    // q(x1, x2) = (1 − λ) p1 p2 [seen] / Σ_seen p1 p2 + λ p1 p2, at t = 0, 1, 2
    let sum = 0;
    let covered = 0;
    for (let t = 0; t < 3; t++) {
      const p1 = P0[text[t]!]!;
      const p2 = P1[text[t]!]!;
      let z = 0;
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) if (seen(a, b)) z += p1[a]! * p2[b]!;
      const x1 = text[t + 1]!;
      const x2 = text[t + 2]!;
      const ind = p1[x1]! * p2[x2]!;
      const j = seen(x1, x2) ? ind / z : 0;
      if (j > 0) covered++;
      sum += L((1 - floor) * j + floor * ind);
    }
    expect(r.pplJointMasked).toHaveLength(2);
    expect(r.pplJointMasked![0]).toBeCloseTo(r.pplHead[0]!, 10);
    expect(r.pplJointMasked![1]).toBeCloseTo(Math.exp(-sum / 3 / 2), 6);
    expect(r.maskedCoverage).toEqual([1, covered / 3]);
    expect(covered).toBe(2); // (0, 0) at t = 2 is masked
    // The unmasked estimate is unchanged by the option.
    const plain = await multiTokenPerplexity(model(), text);
    expect(r.pplJoint).toEqual(plain.pplJoint);
    expect(plain.pplJointMasked).toBeUndefined();
  });

  it('floor 0: an n-gram outside the grid has probability 0 (PPL Infinity); all covered stays finite', async () => {
    const r = await multiTokenPerplexity(model(), [0, 1, 2, 0, 0], {
      masked: { tables: tables(), alpha: 0, floor: 0 },
    });
    expect(r.pplJointMasked![1]).toBe(Number.POSITIVE_INFINITY);
    const ok = await multiTokenPerplexity(model(), [0, 1, 2, 0, 1], {
      masked: { tables: tables(), alpha: 0, floor: 0 },
    });
    expect(Number.isFinite(ok.pplJointMasked![1])).toBe(true);
    expect(ok.maskedCoverage![1]).toBe(1);
  });

  it('rejects bad options with typed errors', async () => {
    const t = tables();
    await expect(
      multiTokenPerplexity(model(), [0, 1, 2, 0], { masked: { tables: t, floor: 2 } }),
    ).rejects.toMatchObject({
      code: 'DYNAMO_INVALID_OPTION',
      details: { option: 'maskedFloor' },
    });
    await expect(multiTokenPerplexity(model(), [0, 1, 2, 0], { masked: { tables: t, topK: 0 } })).rejects.toMatchObject(
      {
        code: 'DYNAMO_INVALID_OPTION',
      },
    );
    const wide = tableModel([
      Array.from({ length: 4 }, () => [0, 0, 0, 0]),
      Array.from({ length: 4 }, () => [0, 0, 0, 0]),
    ]);
    await expect(multiTokenPerplexity(wide, [0, 1, 2, 0], { masked: { tables: t } })).rejects.toMatchObject({
      code: 'DYNAMO_VOCAB_MISMATCH',
    });
  });
});
