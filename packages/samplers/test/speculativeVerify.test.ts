import { createRng, type Draft, type Rng } from '@dynamojs/core';
import { describe, expect, it } from 'vitest';
import {
  multinomial,
  pipeline,
  softmax,
  speculativeVerify,
  temperature,
  topK,
  type VerifyResult,
} from '../src/index.js';
import { CHI2_999, chiSquare, expectDynamoError, randomLogits, toyModel } from './classicHelpers.js';

const N = 200_000;

/** A drafting distribution over `vocab` tokens (possibly with zeros), conditioned on a prefix. */
function drafterModel(vocab: number, seed: number) {
  const model = toyModel(vocab, seed, 1.5);
  return (prefix: number[]): Float32Array => {
    const l = model(prefix);
    if (vocab > 3) l[(prefix.length * 7 + seed) % vocab] = Number.NEGATIVE_INFINITY; // q = 0 somewhere
    return softmax(l);
  };
}

describe('speculativeVerify', () => {
  it('first emitted token has exactly the base distribution (chi-square, vocab 6, sampled drafts)', () => {
    const vocab = 6;
    const base = new Float32Array([2, 0.5, -1, 1, 0, Number.NEGATIVE_INFINITY]); // p(5) = 0
    const p = softmax(base);
    const q = Float32Array.from([0.05, 0.4, 0.3, 0.05, 0.1, 0.1]); // q puts mass where p has none
    const other = new Float32Array(vocab);
    const rng = createRng(20);
    const counts = new Array(vocab).fill(0);
    let accepted = 0;
    const tokens = new Int32Array(1);
    const draft: Draft = { tokens, distribution: () => q };
    for (let t = 0; t < N; t++) {
      tokens[0] = multinomial(q, rng);
      const r = speculativeVerify(draft, (i) => (i === 0 ? base : other), { rng });
      const first = r.accepted >= 1 ? (tokens[0] as number) : r.next;
      counts[first]++;
      accepted += r.accepted;
    }
    const { chi, df } = chiSquare(counts, p, N);
    expect(df).toBe(4);
    expect(chi).toBeLessThan(CHI2_999[4] as number);
    // acceptance rate is Σ min(p, q)
    const expectedRate = Array.from(p).reduce((s, pi, i) => s + Math.min(pi, q[i] as number), 0);
    expect(Math.abs(accepted / N - expectedRate)).toBeLessThan(0.01);
  });

  it('two-token joint equals p(t1) p(t2 | t1) (chi-square over 25 cells, conditional base rows, sampled drafts)', () => {
    const vocab = 5;
    const baseModel = toyModel(vocab, 21, 1.5);
    const qModel = drafterModel(vocab, 22);
    const rng = createRng(23);
    const counts = new Array(vocab * vocab).fill(0);
    const tokens = new Int32Array(2);
    const qs: Float32Array[] = [new Float32Array(vocab), new Float32Array(vocab)];
    const draft: Draft = {
      tokens,
      distribution: (i) => qs[i] as Float32Array,
      probability: (i) => (qs[i] as Float32Array)[tokens[i] as number] as number,
    };
    const out: VerifyResult = { accepted: 0, next: 0 };
    for (let t = 0; t < N; t++) {
      (qs[0] as Float32Array).set(qModel([]));
      tokens[0] = multinomial(qs[0] as Float32Array, rng);
      (qs[1] as Float32Array).set(qModel([tokens[0] as number]));
      tokens[1] = multinomial(qs[1] as Float32Array, rng);
      const r = speculativeVerify(draft, (i) => baseModel(Array.from(tokens.subarray(0, i))), { rng }, out);
      let t1: number;
      let t2: number;
      if (r.accepted === 0) {
        t1 = r.next;
        t2 = multinomial(softmax(baseModel([t1])), rng); // the next step would draw it
      } else {
        t1 = tokens[0] as number;
        t2 = r.accepted >= 2 ? (tokens[1] as number) : r.next;
      }
      counts[t1 * vocab + t2]++;
    }
    const p1 = softmax(baseModel([]));
    const joint = new Float64Array(vocab * vocab);
    for (let a = 0; a < vocab; a++) {
      const p2 = softmax(baseModel([a]));
      for (let b = 0; b < vocab; b++) joint[a * vocab + b] = (p1[a] as number) * (p2[b] as number);
    }
    const { chi, df } = chiSquare(counts, joint, N);
    expect(df).toBe(24);
    expect(chi).toBeLessThan(CHI2_999[24] as number);
  });

  it('deterministic drafts (point-mass q): output still has the base distribution (chi-square, vocab 8)', () => {
    const vocab = 8;
    const base = randomLogits(createRng(24), vocab, 1);
    const p = softmax(base);
    const rng = createRng(25);
    const counts = new Array(vocab).fill(0);
    const other = new Float32Array(vocab);
    const tokens = new Int32Array(1);
    for (let t = 0; t < N; t++) {
      tokens[0] = t % 3; // any rule, even a bad one
      const r = speculativeVerify(tokens, (i) => (i === 0 ? base : other), { rng });
      counts[r.accepted >= 1 ? (tokens[0] as number) : r.next]++;
    }
    const { chi, df } = chiSquare(counts, p, N);
    expect(chi).toBeLessThan(CHI2_999[df] as number);
  });

  it('with processors, the target is the processed distribution (temperature 0.7, top-3; chi-square)', () => {
    const vocab = 7;
    const base = randomLogits(createRng(26), vocab, 1);
    const processors = pipeline(temperature(0.7), topK(3));
    const p = softmax(processors.apply(base, { head: 0, history: new Int32Array(0) }).slice());
    const rng = createRng(27);
    const q = new Float32Array(vocab).fill(1 / vocab);
    const counts = new Array(vocab).fill(0);
    const tokens = new Int32Array(1);
    const other = new Float32Array(vocab);
    for (let t = 0; t < N; t++) {
      tokens[0] = multinomial(q, rng);
      const r = speculativeVerify({ tokens, distribution: () => q }, (i) => (i === 0 ? base : other), {
        rng,
        processors,
      });
      counts[r.accepted >= 1 ? (tokens[0] as number) : r.next]++;
    }
    const { chi, df } = chiSquare(counts, p, N);
    expect(df).toBe(2);
    expect(chi).toBeLessThan(CHI2_999[2] as number);
  });

  it('q = p accepts every draft; all accepted gives a bonus drawn from the last row', () => {
    const row = randomLogits(createRng(28), 10);
    const p = softmax(row);
    const bonus = new Float32Array(10).fill(Number.NEGATIVE_INFINITY);
    bonus[4] = 0;
    const rng = createRng(29);
    for (let t = 0; t < 1000; t++) {
      const tokens = [multinomial(p, rng), multinomial(p, rng)];
      const r = speculativeVerify({ tokens, distribution: () => p }, (i) => (i < 2 ? row : bonus), { rng });
      expect(r).toEqual({ accepted: 2, next: 4 });
    }
  });

  it('is reproducible for a seed', () => {
    const model = toyModel(9, 30);
    const run = (seed: number) => {
      const rng: Rng = createRng(seed);
      const out: number[] = [];
      for (let t = 0; t < 200; t++) {
        const tokens = [t % 9, (t * 5) % 9];
        const r = speculativeVerify(tokens, (i) => model(tokens.slice(0, i)), { rng });
        out.push(r.accepted, r.next);
      }
      return out;
    };
    expect(run(31)).toEqual(run(31));
    expect(run(31)).not.toEqual(run(32));
  });

  it('typed errors: probability without distribution, q(d) = 0, wrong q length, no rng, OOV draft, NaN rows', () => {
    const rng = createRng(1);
    const row = new Float32Array(3);
    const rows = () => row;
    expectDynamoError(
      () => speculativeVerify({ tokens: [0], probability: () => 0.5 }, rows, { rng }),
      'DYNAMO_SAMPLER',
    );
    expectDynamoError(
      () => speculativeVerify({ tokens: [0], distribution: () => [0, 0.5, 0.5] }, rows, { rng }),
      'DYNAMO_SAMPLER',
    );
    expectDynamoError(
      () => speculativeVerify({ tokens: [0], distribution: () => [1, 0] }, rows, { rng }),
      'DYNAMO_SAMPLER',
    );
    expectDynamoError(() => speculativeVerify([0], rows, undefined as never), 'DYNAMO_INVALID_OPTION');
    expectDynamoError(() => speculativeVerify([3], rows, { rng }), 'DYNAMO_SAMPLER');
    const nan = new Float32Array([0, Number.POSITIVE_INFINITY, 0]);
    expectDynamoError(() => speculativeVerify([0], () => nan, { rng }), 'DYNAMO_INVALID_LOGITS');
  });
});
