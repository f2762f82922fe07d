import { createRng } from '@dynamojs/core';
import { describe, expect, it } from 'vitest';
import {
  ContextPenaltyScratch,
  contextPenaltyCells,
  type DynamoStepInfo,
  dynamo,
  HeadTopK,
  JointCells,
  outerProductJoint,
  RepetitionScratch,
  repetitionPenaltyCells,
  selectHeadTopK,
} from '../src/index.js';
import { makeStepView, randomDocs, randomHeadLogits, tablesFrom } from './dynamoFixtures.js';

const V = 40;
const tables = tablesFrom(randomDocs(V, 120, 200, 21), V);

function headsOf(logits: Float32Array[], k: number): HeadTopK[] {
  return logits.map((row, h) => {
    const head = new HeadTopK(k, V);
    selectHeadTopK(row, k, 1, head, h);
    return head;
  });
}

describe('context penalty on cells', () => {
  it('divides a cell once per token found in the last `window` history tokens', () => {
    const logits = randomHeadLogits(V, 3, 1);
    const heads = headsOf(logits, 6);
    const cells = new JointCells(6, 3);
    outerProductJoint(heads, 3, cells);
    const before = Float64Array.from(cells.value.subarray(0, cells.size));
    const history = [heads[0]!.ids[0]!, heads[1]!.ids[1]!, 39, 38];
    contextPenaltyCells(cells, heads, 4, history, 64, new ContextPenaltyScratch());
    const inHistory = new Set(history);
    for (let c = 0; c < cells.size; c++) {
      const ids = [0, 1, 2].map((h) => heads[h]!.ids[cells.rankOf(c, h)]!);
      const count = ids.filter((t) => inHistory.has(t)).length;
      expect(cells.value[c]).toBeCloseTo(before[c]! / 4 ** count, 12);
    }
    // outside the window nothing is penalised; penalty 1 is off
    const again = new JointCells(6, 3);
    outerProductJoint(heads, 3, again);
    contextPenaltyCells(again, heads, 4, [...history, ...new Array(8).fill(37)], 8, new ContextPenaltyScratch());
    contextPenaltyCells(again, heads, 1, history, 64, new ContextPenaltyScratch());
    expect(Array.from(again.value.subarray(0, again.size))).toEqual(Array.from(before));
  });

  it("fused with 'within' repetition cells equals the two stages one after the other", () => {
    for (let seed = 0; seed < 10; seed++) {
      const heads = headsOf(randomHeadLogits(V, 3, seed, 1), 8);
      // make repeats likely: the same few tokens lead every head
      const history = Array.from({ length: 30 }, (_, i) => (i * 7 + seed) % V);
      const a = new JointCells(8, 3);
      const b = new JointCells(8, 3);
      outerProductJoint(heads, 3, a);
      outerProductJoint(heads, 3, b);
      repetitionPenaltyCells(a, heads, 1.7, 'within', history, 64, new RepetitionScratch());
      contextPenaltyCells(a, heads, 3, history, 64, new ContextPenaltyScratch());
      contextPenaltyCells(b, heads, 3, history, 64, new ContextPenaltyScratch(), 1.7);
      for (let c = 0; c < a.size; c++) expect(b.value[c]).toBeCloseTo(a.value[c]!, 12);
    }
  });
});

describe("preset 'calibrated'", () => {
  it('draws the emitted n-gram from the whole masked joint, not from what survives the thresholds', () => {
    // Two seen triplets; the thresholds keep only the likelier one, the joint holds both.
    const t = tablesFrom(
      [
        [1, 2, 3],
        [1, 2, 4],
      ],
      10,
    );
    const logits = [new Float32Array(10), new Float32Array(10), new Float32Array(10)];
    logits[0]![1] = 8;
    logits[1]![2] = 8;
    logits[2]![3] = 1.2;
    logits[2]![4] = 0;
    const joint = dynamo({ tables: t, epsilon: 0.3, headTemperature: 1, contextPenalty: 1 });
    const paper = dynamo({ tables: t, epsilon: 0.3, preset: 'paper' });
    let third4Joint = 0;
    let third4Paper = 0;
    const N = 2000;
    for (let seed = 0; seed < N; seed++) {
      const a = Array.from(joint.sample(makeStepView(logits, { seed })));
      const b = Array.from(paper.sample(makeStepView(logits, { seed })));
      expect(a.slice(0, 2)).toEqual([1, 2]);
      if (a[2] === 4) third4Joint++;
      if (b.length === 3 && b[2] === 4) third4Paper++;
    }
    // p(4 | 1 2) in the joint: e^0 / (e^1.2 + e^0) ≈ 0.23 (the weights of the two seen triplets are equal)
    expect(third4Joint / N).toBeGreaterThan(0.18);
    expect(third4Joint / N).toBeLessThan(0.28);
    expect(third4Paper).toBe(0);
  });

  it('eps_b 1 is still plain one-token sampling: the same token as the paper preset and as top-k sampling', () => {
    const s = dynamo({ tables, epsilon: 1 });
    const p = dynamo({ tables, epsilon: 1, preset: 'paper' });
    for (let seed = 0; seed < 50; seed++) {
      const logits = randomHeadLogits(V, 3, seed);
      const a = s.sample(makeStepView(logits, { seed }));
      const b = p.sample(makeStepView(logits, { seed }));
      expect(a.length).toBe(1);
      expect(a[0]).toBe(b[0]);
    }
  });

  it('onStep reports each step; the context penalty makes n-grams that repeat the history rarer', () => {
    const infos: DynamoStepInfo[] = [];
    const s = dynamo({ tables, epsilon: 0, onStep: (i) => infos.push(i) });
    const logits = randomHeadLogits(V, 3, 9);
    s.sample(makeStepView(logits, { seed: 1 }));
    expect(infos).toHaveLength(1);
    expect(infos[0]!.tokens).toBeGreaterThanOrEqual(1);
    expect(infos[0]!.entropy).toBeGreaterThan(0);
    expect(infos[0]!.probability).toBeGreaterThan(0);
    // the context penalty lowers the chance of n-grams that repeat the history
    const rng = createRng(3);
    const history = Array.from({ length: 64 }, () => Math.floor(rng.next() * 8));
    const withPenalty = dynamo({ tables, epsilon: 0, contextPenalty: 8 });
    const without = dynamo({ tables, epsilon: 0, contextPenalty: 1 });
    let inHistoryWith = 0;
    let inHistoryWithout = 0;
    const recent = new Set(history);
    for (let seed = 0; seed < 300; seed++) {
      const l = randomHeadLogits(V, 3, seed, 1.5);
      for (const t of Array.from(withPenalty.sample(makeStepView(l, { seed, history }))))
        if (recent.has(t)) inHistoryWith++;
      for (const t of Array.from(without.sample(makeStepView(l, { seed, history }))))
        if (recent.has(t)) inHistoryWithout++;
    }
    expect(inHistoryWith).toBeLessThan(inHistoryWithout);
  });

  it('jointTopK narrows the joint to each head’s best tokens; one-token steps keep the full top-k', () => {
    const narrow = dynamo({ tables, epsilon: 0, jointTopK: 2 });
    for (let seed = 0; seed < 40; seed++) {
      const logits = randomHeadLogits(V, 3, seed);
      const out = Array.from(narrow.sample(makeStepView(logits, { seed })));
      if (out.length < 2) continue;
      for (let h = 0; h < out.length; h++) {
        const head = new HeadTopK(50, V);
        selectHeadTopK(logits[h]!, 50, 0.7, head, h);
        expect((head.rank[out[h]!] as number) - 1).toBeLessThan(2);
      }
    }
    expect(() => dynamo({ tables, jointTopK: 60 })).toThrow(expect.objectContaining({ code: 'DYNAMO_INVALID_OPTION' }));
  });
});
