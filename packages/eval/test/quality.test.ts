import { createRng } from '@dynamojs/core';
import { crossingSpeedup, oracleJudge, sameQuality, sameQualitySpeedup, surprisalTest, winRate } from '@dynamojs/eval';
import { describe, expect, it } from 'vitest';

const sample = (prompt: string, seed: number, nll: number, repetition = 0) => ({ prompt, seed, nll, repetition });

describe('sameQuality', () => {
  const base = [sample('a', 1, 3), sample('a', 2, 3.2), sample('b', 1, 2.8), sample('b', 2, 3)];
  it('accepts a candidate within tolerance and rejects a worse one', () => {
    const close = base.map((s) => ({ ...s, nll: s.nll + 0.01 }));
    expect(sameQuality(base, close).same).toBe(true);
    const worse = base.map((s) => ({ ...s, nll: s.nll * 1.2 }));
    expect(sameQuality(base, worse).same).toBe(false);
    const repetitive = base.map((s) => ({ ...s, repetition: 0.2 }));
    expect(sameQuality(base, repetitive).same).toBe(false);
    expect(sameQuality(base, []).same).toBe(false);
  });

  it('distinct-2 and the surprisal distribution are part of the criterion', () => {
    const rng = createRng(3);
    // per-token surprisals: exponential-ish around 2.8 nats
    const draw = () => Array.from({ length: 64 }, () => -Math.log(1 - rng.next()) * 2.8);
    const runs = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ prompt: `p${i % 20}`, seed: Math.floor(i / 20) }));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const withSurprisal = (r: { prompt: string; seed: number }, surprisal: number[]) => ({
      ...r,
      surprisal,
      nll: mean(surprisal),
      repetition: 0,
      distinct2: 0.95,
    });
    const ar = runs(60).map((r) => withSurprisal(r, draw()));
    const alike = runs(60).map((r) => withSurprisal(r, draw()));
    const ok = sameQuality(ar, alike);
    expect(ok.surprisal?.pValue).toBeGreaterThan(0.05);
    expect(ok.same).toBe(true);
    // same mean surprisal, but half near-certain tokens and half very surprising ones
    const bimodal = runs(60).map((r) =>
      withSurprisal(
        r,
        Array.from({ length: 64 }, (_, i) => (i % 2 ? 0.05 : 5.55)),
      ),
    );
    const v = sameQuality(ar, bimodal);
    expect(v.nllPass).toBe(true);
    expect(v.surprisalPass).toBe(false);
    expect(v.same).toBe(false);
    const repetitive = alike.map((s) => ({ ...s, distinct2: 0.9 }));
    const d = sameQuality(ar, repetitive);
    expect(d.distinct2Pass).toBe(false);
    expect(d.same).toBe(false);
    // the permutation test's p-value is reproducible and in (0, 1]
    const pairs = ar.map((a, i) => [alike[i]!.surprisal, a.surprisal] as const);
    expect(surprisalTest(pairs, { permutations: 99 })).toEqual(surprisalTest(pairs, { permutations: 99 }));
  });

  it('picks the largest same-quality speed-up', () => {
    expect(
      sameQualitySpeedup([
        { speedup: 1.5, same: true },
        { speedup: 2.2, same: true },
        { speedup: 2.8, same: false },
      ]),
    ).toBe(2.2);
    expect(sameQualitySpeedup([{ speedup: 2, same: false }])).toBe(1);
  });
});

describe('judges and win rate', () => {
  it('oracle judge prefers lower NLL, ties within the margin', async () => {
    const j = oracleJudge();
    expect(j.compare({ prompt: '', text: '', nll: 2 }, { prompt: '', text: '', nll: 3 })).toBe('win');
    expect(j.compare({ prompt: '', text: '', nll: 3 }, { prompt: '', text: '', nll: 2 })).toBe('loss');
    expect(j.compare({ prompt: '', text: '', nll: 2 }, { prompt: '', text: '', nll: 2.01 })).toBe('tie');
    const r = await winRate(
      j,
      [2, 2, 3, 3].map((nll) => ({ prompt: '', text: '', nll })),
      [3, 3, 2, 2.01].map((nll) => ({ prompt: '', text: '', nll })),
    );
    expect(r).toEqual({ wins: 2, losses: 2, ties: 0, rate: 1 });
  });

  it('finds the speed-up where the win rate crosses 1', () => {
    expect(
      crossingSpeedup([
        { speedup: 1, winRate: 1.1 },
        { speedup: 2, winRate: 1.0 },
        { speedup: 3, winRate: 0.5 },
      ]),
    ).toBe(2);
    expect(
      crossingSpeedup([
        { speedup: 1, winRate: 1.2 },
        { speedup: 2, winRate: 0.8 },
      ]),
    ).toBeCloseTo(1.5);
    expect(crossingSpeedup([{ speedup: 2, winRate: 0.5 }])).toBe(1);
  });
});
