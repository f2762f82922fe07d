import type { DraftHead, DraftHeadStep, LogitsProcessor, ProcessorContext } from '@dynamojs/core';
import { describe, expect, it } from 'vitest';
import { applyProcessors, ConditionalJoint, DraftHeadRollout, selectHeadTopK } from '../src/index.js';
import { randomDocs, randomHeadLogits, tablesFrom } from './dynamoFixtures.js';

/** A head over V tokens whose logits favour hidden[0] + token, and whose next hidden state is [hidden[0] + token]; it reuses its output buffers. */
class CountingHead implements DraftHead {
  readonly hiddenSize = 1;
  readonly vocabSize = 8;
  readonly inputs: number[][] = [];
  private readonly logits = new Float32Array(8);
  private readonly next = new Float32Array(1);
  async step(hidden: Float32Array, token: number): Promise<DraftHeadStep> {
    this.inputs.push([hidden[0] as number, token]);
    this.logits.fill(0);
    this.logits[((hidden[0] as number) + token) % 8] = 1;
    this.next[0] = (hidden[0] as number) + token;
    return { logits: this.logits, hidden: this.next };
  }
  async dispose(): Promise<void> {}
}

describe('DraftHeadRollout', () => {
  it('feeds each token with the previous step’s hidden state (a copy), and exposes the logits as a one-row result', async () => {
    const head = new CountingHead();
    const rollout = new DraftHeadRollout(head);
    const base = Float32Array.of(2);
    rollout.start(base);
    base[0] = 99; // the roll-out copied it
    const hidden = rollout.hidden;
    const first = await rollout.step(1);
    expect(first[3]).toBe(1);
    expect(rollout.result.heads).toBe(1);
    expect(rollout.result.positionCount).toBe(1);
    expect(rollout.result.logits(0)).toBe(first);
    expect(rollout.result.hidden).toBeUndefined();
    await rollout.step(4);
    await rollout.step(0);
    expect(head.inputs).toEqual([
      [2, 1],
      [3, 4],
      [7, 0],
    ]);
    expect(rollout.hidden).toBe(hidden); // one buffer, never the head's
    expect(rollout.steps).toBe(3);
    rollout.start(Float32Array.of(5));
    await rollout.step(1);
    expect(head.inputs[3]).toEqual([5, 1]);
    expect(rollout.steps).toBe(4);
  });
});

describe('ConditionalJoint', () => {
  const V = 30;
  const docs = randomDocs(V, 40, 80, 9);
  const tables = tablesFrom(docs, V);

  it('lists the seen pairs and triplets of the heads’ top-k in id order, with p·w values', () => {
    const k = 8;
    const joint = new ConditionalJoint(tables, 0.8, k);
    const logits = randomHeadLogits(V, 3, 21, 2);
    selectHeadTopK(logits[1] as Float32Array, k, 0.9, joint.head1, 1);
    selectHeadTopK(logits[2] as Float32Array, k, 0.9, joint.head2, 2);
    const { head1: h1, head2: h2, weights } = joint;
    let listed = 0;
    for (let x1 = 0; x1 < V; x1++) {
      joint.listPairs(x1);
      const expected = Array.from(h1.ids.subarray(0, h1.count))
        .filter((b) => tables.findBigram(x1, b) >= 0)
        .sort((a, b) => a - b);
      const got = Array.from(joint.pairRank.subarray(0, joint.pairs), (r) => h1.ids[r] as number);
      expect(got).toEqual(expected);
      let sum = 0;
      for (let p = 0; p < joint.pairs; p++) {
        const rb = joint.pairRank[p] as number;
        const b = h1.ids[rb] as number;
        expect(joint.pairOf[rb]).toBe(p);
        expect(joint.pairEntry[p]).toBe(tables.findBigram(x1, b));
        expect(joint.pairValue[p]).toBeCloseTo((h1.probs[rb] as number) * weights.weightOf([x1, b]), 9);
        sum += joint.pairValue[p] as number;
      }
      expect(joint.pairSum).toBe(sum);
      for (let r = 0; r < h1.count; r++) {
        if (!expected.includes(h1.ids[r] as number)) expect(joint.pairOf[r]).toBe(-1);
      }
      expect(joint.triples).toBe(0);
      for (let p = 0; p < joint.pairs; p++) {
        const rb = joint.pairRank[p] as number;
        const b = h1.ids[rb] as number;
        const start = joint.triples;
        const n = joint.addTriples(x1, p, true);
        const cs = Array.from(joint.tripleC.subarray(start, start + n), (r) => h2.ids[r] as number);
        const seen = Array.from(h2.ids.subarray(0, h2.count)).filter((c) => tables.findTrigram(x1, b, c) >= 0);
        expect(cs).toEqual(seen.sort((a, c) => a - c));
        for (let t = start; t < start + n; t++) {
          const rc = joint.tripleC[t] as number;
          expect(joint.tripleB[t]).toBe(rb);
          const w = weights.weightOf([x1, b, h2.ids[rc] as number]);
          expect(joint.tripleValue[t]).toBeCloseTo((h1.probs[rb] as number) * (h2.probs[rc] as number) * w, 9);
        }
        // without `joint`: the conditional's numerator p_3 · w
        const again = joint.addTriples(x1, p, false);
        expect(again).toBe(n);
        for (let t = 0; t < n; t++) {
          const rc = joint.tripleC[start + n + t] as number;
          expect(joint.tripleValue[start + n + t]).toBe(
            (h2.probs[rc] as number) * weights.trigram(x1, b, tables.findTrigram(x1, b, h2.ids[rc] as number)),
          );
        }
        listed += n;
      }
    }
    expect(listed).toBeGreaterThan(0);
  });

  it('tables of order 2: pairs only', () => {
    const joint = new ConditionalJoint(tablesFrom(docs, V, { order: 2 }), 1, 6);
    const logits = randomHeadLogits(V, 3, 4);
    selectHeadTopK(logits[1] as Float32Array, 6, 1, joint.head1, 1);
    selectHeadTopK(logits[2] as Float32Array, 6, 1, joint.head2, 2);
    let pairs = 0;
    for (let x1 = 0; x1 < V; x1++) {
      joint.listPairs(x1);
      pairs += joint.pairs;
      for (let p = 0; p < joint.pairs; p++) expect(joint.addTriples(x1, p, true)).toBe(0);
    }
    expect(pairs).toBeGreaterThan(0);
  });
});

describe('applyProcessors', () => {
  it('copies the row into `out` and runs the processors on the copy, in order, with the context', () => {
    const seen: string[] = [];
    const add = (name: string, delta: number): LogitsProcessor => ({
      name,
      process(logits: Float32Array, context: ProcessorContext) {
        seen.push(`${name}@${context.head}`);
        for (let i = 0; i < logits.length; i++) logits[i] = ((logits[i] as number) + delta) * 2;
      },
    });
    const row = Float32Array.of(1, 2, 3);
    const out = new Float32Array(3);
    const context = { head: 2, history: new Int32Array(0) };
    expect(applyProcessors([add('a', 1), add('b', -1)], row, out, context)).toBe(out);
    expect(Array.from(out)).toEqual([6, 10, 14]);
    expect(Array.from(row)).toEqual([1, 2, 3]);
    expect(seen).toEqual(['a@2', 'b@2']);
    expect(Array.from(applyProcessors([], row, out, context))).toEqual([1, 2, 3]);
  });
});
