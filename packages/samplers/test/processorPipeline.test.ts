import { createRng, type LogitsProcessor, type ProcessorContext } from '@dynamojs/core';
import {
  softmax as hfSoftmax,
  RepetitionPenaltyLogitsProcessor,
  TemperatureLogitsWarper,
  Tensor,
  topk,
} from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import {
  classicProcessors,
  minP,
  noRepeatNgram,
  perHead,
  pipeline,
  repetitionPenalty,
  softmax,
  temperature,
  topK,
  topP,
  typicalP,
} from '../src/index.js';
import { expectDynamoError, keptSet, randomLogits } from './classicHelpers.js';

describe('pipeline', () => {
  it('composes in order, matching transformers.js (penalty → temperature → top-k sampler) within 1e-6', async () => {
    const rng = createRng(12);
    const vocab = 5000;
    for (let trial = 0; trial < 5; trial++) {
      const logits = randomLogits(rng, vocab);
      const history = Int32Array.from({ length: 50 }, () => Math.floor(rng.next() * vocab));
      const t = new Tensor('float32', logits.slice(), [1, vocab]);
      new RepetitionPenaltyLogitsProcessor(1.3)([Array.from(history, BigInt)], t);
      new TemperatureLogitsWarper(0.7)([[0n]], t);
      const [values, indices] = await topk(t, 40);
      const ids = Array.from(indices.data as BigInt64Array, Number);
      const probs = hfSoftmax(values.data as Float32Array) as Float32Array;

      const p = pipeline(repetitionPenalty(1.3), temperature(0.7), topK(40));
      const ours = p.apply(logits, { head: 0, history });
      expect(keptSet(ours)).toEqual([...ids].sort((a, b) => a - b));
      const q = softmax(ours);
      ids.forEach((id, j) => {
        expect(Math.abs((q[id] as number) - (probs[j] as number))).toBeLessThan(1e-6);
      });
      // classicProcessors builds the same order from options
      const same = classicProcessors({ repetitionPenalty: 1.3, temperature: 0.7, topK: 40 }).apply(logits, {
        head: 0,
        history,
      });
      expect(same).toEqual(ours);
    }
  });

  it('apply() does not modify the input row and reuses its scratch buffer', () => {
    const row = new Float32Array([1, 2, 3, 4]);
    const p = pipeline(temperature(2), topK(2));
    const ctx: ProcessorContext = { head: 0, history: new Int32Array(0) };
    const a = p.apply(row, ctx);
    expect(Array.from(row)).toEqual([1, 2, 3, 4]);
    expect(keptSet(a)).toEqual([2, 3]);
    expect(p.apply(row, ctx)).toBe(a);
  });

  it('skips falsy entries and names its stages', () => {
    const p = pipeline(false, temperature(0.5), undefined, null, topK(3));
    expect(p.length).toBe(2);
    expect(p.name).toBe('pipeline(temperature, top-k)');
    expect(classicProcessors({}).length).toBe(0);
    expect(classicProcessors({ temperature: 1, topP: 1, minP: 0, typicalP: 1, repetitionPenalty: 1 }).length).toBe(0);
  });

  it('classicProcessors validates every option with DYNAMO_INVALID_OPTION', () => {
    const bad: [string, Record<string, unknown>][] = [
      ['temperature', { temperature: 0 }],
      ['topK', { topK: 0 }],
      ['topK', { topK: 2.5 }],
      ['topP', { topP: 0 }],
      ['topP', { topP: 1.5 }],
      ['minP', { minP: -0.5 }],
      ['typicalP', { typicalP: 0 }],
      ['repetitionPenalty', { repetitionPenalty: 0 }],
      ['noRepeatNgramSize', { noRepeatNgramSize: -1 }],
      ['processors[0]', { processors: [{ name: 'x' }] }],
      ['processors', { processors: 'nope' }],
    ];
    for (const [option, opts] of bad) {
      expect(expectDynamoError(() => classicProcessors(opts), 'DYNAMO_INVALID_OPTION').details.option).toBe(option);
    }
  });
});

describe('perHead', () => {
  it('runs a different pipeline per head; heads past the list use the last entry; null leaves a head untouched', () => {
    const seen: number[] = [];
    const spy: LogitsProcessor = { name: 'spy', process: (_l, c) => void seen.push(c.head) };
    const ph = perHead([null, pipeline(spy, temperature(2)), pipeline(spy, topK(1))]);
    const rows = [0, 1, 2, 3].map(() => new Float32Array([2, 4, 6]));
    rows.forEach((r, h) => {
      ph.process(r, { head: h, history: new Int32Array(0) });
    });
    expect(Array.from(rows[0] as Float32Array)).toEqual([2, 4, 6]);
    expect(Array.from(rows[1] as Float32Array)).toEqual([1, 2, 3]);
    expect(keptSet(rows[2] as Float32Array)).toEqual([2]);
    expect(keptSet(rows[3] as Float32Array)).toEqual([2]);
    expect(seen).toEqual([1, 2, 3]);
    expect(ph.name).toBe('perHead(none; pipeline(spy, temperature); pipeline(spy, top-k))');
  });
});

describe('every processor on an all-masked row', () => {
  it('leaves it masked without throwing (the selection step reports it)', () => {
    const all = [
      temperature(0.5),
      topK(2),
      topP(0.5),
      minP(0.2),
      typicalP(0.5),
      repetitionPenalty(1.5),
      noRepeatNgram(1),
    ];
    for (const p of all) {
      const row = new Float32Array(4).fill(Number.NEGATIVE_INFINITY);
      expect(() => p.process(row, { head: 0, history: Int32Array.from([1, 2]) }), p.name).not.toThrow();
      expect(keptSet(row)).toEqual([]);
    }
  });
});
