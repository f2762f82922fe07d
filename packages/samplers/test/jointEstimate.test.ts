import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyCoOccurrenceWeights,
  CoOccurrenceWeights,
  cellTokens,
  coOccurrenceJoint,
  HeadTopK,
  JointCells,
  outerProductJoint,
  renormalizeJoint,
  selectHeadTopK,
} from '../src/index.js';
import { randomDocs, randomHeadLogits, tablesFrom } from './dynamoFixtures.js';

function heads(logits: Float32Array[], k: number, T: number): HeadTopK[] {
  return logits.map((row, h) => {
    const head = new HeadTopK(k, row.length);
    selectHeadTopK(row, k, T, head, h);
    return head;
  });
}

describe('joint estimate', () => {
  it('outer product: k^n cells in ascending token-id order, summing to 1', () => {
    const hs = heads(randomHeadLogits(20, 3, 1), 4, 0.7);
    const cells = new JointCells(4, 3);
    outerProductJoint(hs, 3, cells);
    expect(cells.size).toBe(64);
    expect(cells.sum()).toBeCloseTo(1, 12);
    const tok = new Int32Array(3);
    let prev = -1;
    for (let c = 0; c < cells.size; c++) {
      cellTokens(cells, c, hs, tok);
      const key = (tok[0] as number) * 400 + (tok[1] as number) * 20 + (tok[2] as number);
      expect(key).toBeGreaterThan(prev);
      prev = key;
      const expected =
        (hs[0] as HeadTopK).probs[(hs[0] as HeadTopK).rank[tok[0] as number]! - 1]! *
        (hs[1] as HeadTopK).probs[(hs[1] as HeadTopK).rank[tok[1] as number]! - 1]! *
        (hs[2] as HeadTopK).probs[(hs[2] as HeadTopK).rank[tok[2] as number]! - 1]!;
      expect(cells.value[c]).toBeCloseTo(expected, 14);
    }
  });

  it('the n-gram walk equals dense outer product × look-up weights (every table kind, alpha, n)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 5, max: 120 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.constantFrom(2, 3) as fc.Arbitrary<2 | 3>,
        fc.constantFrom('count', 'logpmi8', 'logpmi16') as fc.Arbitrary<'count' | 'logpmi8' | 'logpmi16'>,
        fc.constantFrom(0, 0.5, 1, 2),
        (V, k, seed, n, valueKind, alpha) => {
          const tables = tablesFrom(randomDocs(V, 30, 200, seed), V, { valueKind });
          const hs = heads(randomHeadLogits(V, 3, seed + 1), k, 0.8);
          const weights = new CoOccurrenceWeights(tables, alpha);
          const fast = new JointCells(k, 3);
          coOccurrenceJoint(hs, n, weights, fast);
          const ref = new JointCells(k, 3);
          outerProductJoint(hs, n, ref);
          applyCoOccurrenceWeights(ref, hs, weights);
          expect(fast.size).toBe(ref.size);
          for (let c = 0; c < ref.size; c++) {
            expect(fast.index[c]).toBe(ref.index[c]);
            const a = fast.value[c] as number;
            const b = ref.value[c] as number;
            expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b)));
          }
          expect(fast.rawMass).toBeCloseTo(ref.rawMass, 12);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('the pair joint listed during the triplet walk equals a separate pair walk', () => {
    fc.assert(
      fc.property(fc.integer({ min: 5, max: 80 }), fc.integer({ min: 1, max: 10 }), fc.nat(1000), (V, k, seed) => {
        const tables = tablesFrom(randomDocs(V, 20, 150, seed), V, { valueKind: 'logpmi8' });
        const hs = heads(randomHeadLogits(V, 3, seed + 1), k, 0.8);
        const w = new CoOccurrenceWeights(tables, 1);
        const triples = new JointCells(k, 3);
        const pairs = new JointCells(k, 2);
        coOccurrenceJoint(hs, 3, w, triples, pairs);
        const direct = new JointCells(k, 2);
        coOccurrenceJoint(hs, 2, w, direct);
        expect(pairs.size).toBe(direct.size);
        expect(Array.from(pairs.index.subarray(0, pairs.size))).toEqual(
          Array.from(direct.index.subarray(0, direct.size)),
        );
        expect(Array.from(pairs.value.subarray(0, pairs.size))).toEqual(
          Array.from(direct.value.subarray(0, direct.size)),
        );
        expect(pairs.rawMass).toBe(direct.rawMass);
      }),
      { numRuns: 100 },
    );
  });

  it('an unseen n-gram is masked: never listed', () => {
    // tables: only "0 1 2" seen
    const tables = tablesFrom([[0, 1, 2]], 5);
    const logits = [0, 1, 2].map(() => new Float32Array(5));
    const hs = heads(logits, 5, 1);
    const cells = new JointCells(5, 3);
    coOccurrenceJoint(hs, 3, new CoOccurrenceWeights(tables, 1), cells);
    expect(cells.size).toBe(1);
    const tok = new Int32Array(3);
    cellTokens(cells, 0, hs, tok);
    expect(Array.from(tok)).toEqual([0, 1, 2]);
    expect(cells.rawMass).toBeCloseTo(1 / 125, 14);
  });

  it('renormalisation modes: full sums to 1, mass keeps the surviving raw mass, none leaves values', () => {
    const V = 40;
    const tables = tablesFrom(randomDocs(V, 20, 100, 5), V);
    const hs = heads(randomHeadLogits(V, 3, 9), 8, 0.7);
    const w = new CoOccurrenceWeights(tables, 1);
    const cells = new JointCells(8, 3);
    coOccurrenceJoint(hs, 3, w, cells);
    expect(cells.size).toBeGreaterThan(0);
    const before = Array.from(cells.value.subarray(0, cells.size));
    renormalizeJoint(cells, 'none');
    expect(Array.from(cells.value.subarray(0, cells.size))).toEqual(before);
    renormalizeJoint(cells, 'mass');
    expect(cells.sum()).toBeCloseTo(cells.rawMass, 12);
    renormalizeJoint(cells, 'full');
    expect(cells.sum()).toBeCloseTo(1, 12);
    // proportions preserved
    const ratio = (cells.value[0] as number) / (before[0] as number);
    for (let c = 0; c < cells.size; c++)
      expect((cells.value[c] as number) / (before[c] as number)).toBeCloseTo(ratio, 9);
  });

  it('top-k selection: ties to lower ids, fewer than k when masked, probabilities at temperature', () => {
    const row = Float32Array.from([1, 3, 3, Number.NEGATIVE_INFINITY, 2]);
    const h = new HeadTopK(3, 5);
    selectHeadTopK(row, 3, 0.5, h);
    expect(Array.from(h.ids.subarray(0, 3))).toEqual([1, 2, 4]);
    const z = Math.exp(6) * 2 + Math.exp(4);
    expect(h.probs[0]).toBeCloseTo(Math.exp(6) / z, 6);
    expect(Array.from(h.byId.subarray(0, 3))).toEqual([1, 2, 4]);
    expect(h.rank[4]).toBe(3);
    expect(h.rank[0]).toBe(0);
    const masked = Float32Array.from([
      Number.NEGATIVE_INFINITY,
      0,
      Number.NEGATIVE_INFINITY,
      1,
      Number.NEGATIVE_INFINITY,
    ]);
    selectHeadTopK(masked, 3, 1, h);
    expect(h.count).toBe(2);
    expect(h.rank[4]).toBe(0); // cleared from the previous step
    expect(h.rank[1]).toBe(2);
  });
});
