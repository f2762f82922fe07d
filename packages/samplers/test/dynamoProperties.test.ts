/**
 * Property-based tests of the DynaMo sampler over random logits, tables and options.
 */
import { createRng } from '@dynamojs/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CoOccurrenceWeights,
  coOccurrenceJoint,
  type DynamoOptions,
  dynamo,
  HeadTopK,
  JointCells,
  multinomialFromLogits,
  selectHeadTopK,
  temperature,
  topK,
} from '../src/index.js';
import { makeStepView, randomDocs, randomHeadLogits, tablesFrom } from './dynamoFixtures.js';

const scenario = fc.record({
  V: fc.integer({ min: 4, max: 80 }),
  k: fc.integer({ min: 1, max: 12 }),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  scale: fc.constantFrom(0.5, 3, 10),
  epsilon: fc.double({ min: 0, max: 1, noNaN: true }),
  temperature: fc.constantFrom(0.3, 0.7, 1, 1.5),
  alpha: fc.constantFrom(0, 0.5, 1, 2),
  blur: fc.constantFrom(0, 3, 5),
  adaptiveThreshold: fc.boolean(),
  renormalize: fc.constantFrom('full', 'mass', 'none') as fc.Arbitrary<'full' | 'mass' | 'none'>,
  staticThreshold: fc.constantFrom('epsilon-power', 'epsilon', 'off') as fc.Arbitrary<
    'epsilon-power' | 'epsilon' | 'off'
  >,
  repetition: fc.constantFrom('within', 'context', 'both', 'off') as fc.Arbitrary<
    'within' | 'context' | 'both' | 'off'
  >,
  sampleBlurred: fc.boolean(),
  mask: fc.boolean(),
  order: fc.constantFrom(2, 3) as fc.Arbitrary<2 | 3>,
  valueKind: fc.constantFrom('count', 'logpmi8') as fc.Arbitrary<'count' | 'logpmi8'>,
  maxTokens: fc.integer({ min: 1, max: 3 }),
  viewMaxTokens: fc.integer({ min: 1, max: 3 }),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function setup(s: Scenario) {
  const tables = tablesFrom(randomDocs(s.V, 20, 80, s.seed), s.V, { order: s.order, valueKind: s.valueKind });
  const logits = randomHeadLogits(s.V, 3, s.seed + 1, s.scale);
  const options: DynamoOptions = {
    tables: s.mask ? tables : undefined,
    mask: s.mask,
    topK: s.k,
    epsilon: s.epsilon,
    temperature: s.temperature,
    alpha: s.alpha,
    blur: s.blur,
    adaptiveThreshold: s.adaptiveThreshold,
    renormalize: s.renormalize,
    staticThreshold: s.staticThreshold,
    repetition: s.repetition,
    sampleBlurred: s.sampleBlurred,
    maxTokens: s.maxTokens,
  };
  const history = Array.from(randomDocs(s.V, 1, 20, s.seed + 2)[0] as number[]);
  return { tables, logits, options, history };
}

function plainTopK(logits: Float32Array, k: number, T: number, rng: { next(): number }): number {
  const row = logits.slice();
  temperature(T).process(row);
  topK(k).process(row);
  return multinomialFromLogits(row, rng);
}

describe('dynamo() properties', () => {
  it('emits 1..min(heads, view.maxTokens) in-vocabulary tokens; seeded runs are reproducible', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { logits, options, history } = setup(s);
        const run = () => {
          const sampler = dynamo(options);
          const rng = createRng(s.seed);
          const outs: number[][] = [];
          for (let step = 0; step < 3; step++) {
            const out = sampler.sample(makeStepView(logits, { rng, maxTokens: s.viewMaxTokens, history }));
            outs.push(Array.from(out));
          }
          return outs;
        };
        const a = run();
        for (const out of a) {
          expect(out.length).toBeGreaterThanOrEqual(1);
          expect(out.length).toBeLessThanOrEqual(Math.min(s.maxTokens, s.viewMaxTokens));
          for (const t of out) expect(Number.isInteger(t) && t >= 0 && t < s.V).toBe(true);
        }
        expect(run()).toEqual(a);
      }),
      { numRuns: 300 },
    );
  });

  it('eps_b = 1 is plain top-k sampling: the same token for the same seed', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { logits, options, history } = setup(s);
        const sampler = dynamo({ ...options, epsilon: 1 });
        const out = sampler.sample(makeStepView(logits, { seed: s.seed, history }));
        expect(out.length).toBe(1);
        expect(out[0]).toBe(plainTopK(logits[0] as Float32Array, s.k, s.temperature, createRng(s.seed)));
      }),
      { numRuns: 300 },
    );
  });

  it('eps_b = 0 emits the maximum whenever any cell survives masking', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { tables, logits, options, history } = setup(s);
        const sampler = dynamo({ ...options, epsilon: 0 });
        const out = sampler.sample(makeStepView(logits, { seed: s.seed, history, maxTokens: s.viewMaxTokens }));
        const nMax = Math.min(s.maxTokens, s.viewMaxTokens, s.mask ? s.order : 3);
        if (nMax === 1) {
          expect(out.length).toBe(1);
          return;
        }
        if (!s.mask) {
          expect(out.length).toBe(nMax);
          return;
        }
        const heads = logits.map((row, h) => {
          const head = new HeadTopK(s.k, s.V);
          selectHeadTopK(row, s.k, s.temperature, head, h);
          return head;
        });
        const cells = new JointCells(s.k, 3);
        coOccurrenceJoint(heads, nMax as 2 | 3, new CoOccurrenceWeights(tables, s.alpha), cells);
        if (cells.size > 0) expect(out.length).toBe(nMax);
        else expect(out.length).toBeLessThan(nMax);
        if (s.mask && out.length >= 2) expect(Number.isFinite(tables.logPmi(Array.from(out)))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('every step draws exactly one number from view.rng', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { logits, options, history } = setup(s);
        const rng = createRng(s.seed);
        let draws = 0;
        const counting = {
          next: () => {
            draws++;
            return rng.next();
          },
        };
        dynamo(options).sample(makeStepView(logits, { rng: counting, history }));
        expect(draws).toBe(1);
      }),
      { numRuns: 100 },
    );
  });
});
