import { createRng } from '@dynamojs/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { argmax, classicProcessors, greedy, sampling, softmax } from '../src/index.js';
import { CHI2_999, chiSquare, expectDynamoError, makeView, randomLogits } from './classicHelpers.js';

const optionsArb = fc.record(
  {
    temperature: fc.double({ min: 0.05, max: 3, noNaN: true }),
    topK: fc.integer({ min: 1, max: 64 }),
    topP: fc.double({ min: 0.01, max: 1, noNaN: true }),
    minP: fc.double({ min: 0, max: 1, noNaN: true }),
    typicalP: fc.double({ min: 0.01, max: 1, noNaN: true }),
    repetitionPenalty: fc.double({ min: 0.5, max: 2, noNaN: true }),
    noRepeatNgramSize: fc.integer({ min: 0, max: 3 }),
  },
  { requiredKeys: [] },
);

describe('sampling()', () => {
  it('draws from softmax of the processed logits (chi-square, seeded)', () => {
    const logits = randomLogits(createRng(15), 12, 1.5);
    const s = sampling({ temperature: 0.8, topK: 8, topP: 0.95 });
    const expected = softmax(s.processors.apply(logits, { head: 0, history: new Int32Array(0) }).slice());
    const rng = createRng(16);
    const view = makeView([logits], { rng });
    const n = 100_000;
    const counts = new Array(12).fill(0);
    for (let i = 0; i < n; i++) counts[s.sample(view)[0] as number]++;
    const { chi, df } = chiSquare(counts, expected, n);
    expect(chi).toBeLessThan(CHI2_999[df] as number);
  });

  it('properties over random logits and options: in vocabulary, inside the kept set, reproducible per seed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer(),
        optionsArb,
        fc.array(fc.nat(), { maxLength: 20 }),
        (vocab, seed, options, hist) => {
          const history = hist.map((h) => h % vocab);
          const logits = randomLogits(createRng(seed), vocab);
          const a = sampling(options);
          const b = sampling(options);
          const kept = a.processors.apply(logits, { head: 0, history: Int32Array.from(history) }).slice();
          const anyKept = kept.some((v) => v > Number.NEGATIVE_INFINITY);
          const va = makeView([logits], { history, rng: createRng(seed) });
          const vb = makeView([logits], { history, rng: createRng(seed) });
          for (let step = 0; step < 5; step++) {
            if (!anyKept) {
              expectDynamoError(() => a.sample(va), 'DYNAMO_SAMPLER');
              return;
            }
            const t = a.sample(va)[0] as number;
            expect(Number.isInteger(t) && t >= 0 && t < vocab).toBe(true);
            expect(kept[t]).toBeGreaterThan(Number.NEGATIVE_INFINITY);
            expect(b.sample(vb)[0]).toBe(t);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('top-k = 1 equals greedy (property), whatever the other warpers', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 500 }),
        fc.integer(),
        fc.double({ min: 0.05, max: 5, noNaN: true }),
        (vocab, seed, t) => {
          const logits = randomLogits(createRng(seed), vocab);
          const view = makeView([logits], { rng: createRng(seed) });
          const s = sampling({ topK: 1, temperature: t, topP: 0.5 });
          expect(s.sample(view)[0]).toBe(greedy().sample(view)[0]);
          expect(s.sample(view)[0]).toBe(argmax(logits));
        },
      ),
    );
  });

  it('validates options eagerly and rejects NaN logits', () => {
    expectDynamoError(() => sampling({ temperature: 0 }), 'DYNAMO_INVALID_OPTION');
    expectDynamoError(() => sampling({ topK: 0 }), 'DYNAMO_INVALID_OPTION');
    expectDynamoError(() => sampling({ topP: 1.1 }), 'DYNAMO_INVALID_OPTION');
    expectDynamoError(
      () => sampling().sample(makeView([new Float32Array([0, Number.POSITIVE_INFINITY])])),
      'DYNAMO_INVALID_LOGITS',
    );
    expect(sampling({ temperature: 0.7, topK: 50 }).name).toBe('sampling(temperature, top-k)');
    expect(classicProcessors({ topK: 3 }).name).toBe('pipeline(top-k)');
  });

  it('does not allocate a new result or scratch per step', () => {
    const s = sampling({ temperature: 0.7, topK: 5, topP: 0.9, repetitionPenalty: 1.2 });
    const view = makeView([randomLogits(createRng(3), 1000)], { history: [1, 2, 3] });
    const first = s.sample(view);
    expect(s.sample(view)).toBe(first);
  });
});
