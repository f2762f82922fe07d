import {
  type Constraint,
  type ConstraintState,
  type Drafter,
  isMaskAllowed,
  maskCount,
  maskSingle,
  maskWords,
} from '@dynamojs/core';
import { greedy } from '@dynamojs/samplers';
import { describe, expect, it } from 'vitest';
import { generate } from '../src/index.js';
import {
  distributionSampler,
  expectCode,
  FakeModel,
  headsArgmaxSampler,
  softmaxSampler,
  stochasticDrafter,
} from './fakes.js';

/**
 * A toy grammar over token ids: after a token `last`, the tokens t with (t + last) % 3 !== 0 are
 * allowed, except at every `period`-th position (k % period === period − 1), where only token
 * (k + last) % V is (a forced token); `deadAt`: no token at all from that position on.
 */
class ToyGrammar implements Constraint {
  readonly name = 'toy';
  constructor(
    readonly vocabSize: number,
    private readonly deadAt = -1,
    private readonly period = 4,
  ) {}
  allowed(prefix: readonly number[], t: number): boolean {
    const k = prefix.length;
    if (k === this.deadAt) return false;
    const last = prefix[k - 1] ?? 0;
    if (k % this.period === this.period - 1) return t === (k + last) % this.vocabSize;
    return (t + last) % 3 !== 0;
  }
  start(): ConstraintState {
    return new ToyState(this, []);
  }
}

class ToyState implements ConstraintState {
  constructor(
    private readonly grammar: ToyGrammar,
    readonly tokens: number[],
  ) {}
  get length(): number {
    return this.tokens.length;
  }
  fillMask(mask: Uint32Array): void {
    for (let t = 0; t < this.grammar.vocabSize; t++) {
      if (this.grammar.allowed(this.tokens, t)) mask[t >>> 5] = ((mask[t >>> 5] as number) | (1 << (t & 31))) >>> 0;
    }
  }
  advance(token: number): boolean {
    if (!this.grammar.allowed(this.tokens, token)) return false;
    this.tokens.push(token);
    return true;
  }
  rollback(count: number): void {
    this.tokens.length -= count;
  }
  fork(): ConstraintState {
    return new ToyState(this.grammar, [...this.tokens]);
  }
  forcedToken(): number {
    const mask = new Uint32Array(maskWords(this.grammar.vocabSize));
    this.fillMask(mask);
    return maskSingle(mask, this.grammar.vocabSize);
  }
  isTerminated(): boolean {
    return false;
  }
  dispose(): void {}
}

/** Whether every token of `tokens` (after the prompt) follows the toy grammar. */
function follows(grammar: ToyGrammar, tokens: readonly number[]): boolean {
  const prefix: number[] = [];
  for (const t of tokens) {
    if (!grammar.allowed(prefix, t)) return false;
    prefix.push(t);
  }
  return true;
}

/** The constrained next-token distribution: the model's, masked by the grammar and renormalised. */
function constrainedProbs(model: FakeModel, grammar: ToyGrammar, prompt: number[], generated: number[]): number[] {
  const p = model.baseProbs([...prompt, ...generated]);
  const out: number[] = [];
  let z = 0;
  for (let t = 0; t < p.length; t++) {
    const v = grammar.allowed(generated, t) ? (p[t] as number) : 0;
    out.push(v);
    z += v;
  }
  return out.map((v) => v / z);
}

/**
 * Draws each extra head's token from softmax(head logits / temperature) masked by the grammar after
 * the tokens drafted before it (`view.constraint`'s look-ahead), and reports that q.
 */
function grammarDrafter(temperature: number): Drafter {
  return {
    name: 'grammar-stochastic',
    draft(view) {
      const grammar = view.constraint;
      if (grammar === undefined) throw new Error('no constraint in the view');
      const tokens: number[] = [];
      const qs: Float64Array[] = [];
      for (let h = 1; h < view.heads; h++) {
        const l = view.logits(h);
        const mask = grammar.mask();
        const q = new Float64Array(view.vocabSize);
        let z = 0;
        for (let t = 0; t < q.length; t++) {
          q[t] = isMaskAllowed(mask, t) ? Math.exp((l[t] as number) / temperature) : 0;
          z += q[t] as number;
        }
        if (z === 0) break;
        for (let t = 0; t < q.length; t++) q[t] = (q[t] as number) / z;
        let u = view.rng.next();
        let token = q.length - 1;
        for (let t = 0; t < q.length; t++) {
          u -= q[t] as number;
          if (u < 0) {
            token = t;
            break;
          }
        }
        if (!grammar.push(token)) break;
        tokens.push(token);
        qs.push(q);
      }
      grammar.pop(grammar.depth);
      return { tokens, probability: (i) => qs[i]![tokens[i]!]!, distribution: (i) => qs[i]! };
    },
  };
}

describe('bitmask helpers', () => {
  it('count, single, allowed', () => {
    const mask = new Uint32Array(maskWords(40));
    expect(mask.length).toBe(2);
    expect(maskSingle(mask, 40)).toBe(-1);
    mask[1] = 1 << 3;
    expect(maskSingle(mask, 40)).toBe(35);
    expect(isMaskAllowed(mask, 35)).toBe(true);
    expect(isMaskAllowed(mask, 34)).toBe(false);
    mask[0] = 0xffffffff;
    expect(maskCount(mask, 40)).toBe(33);
    expect(maskCount(mask, 20)).toBe(20);
  });
});

describe('generate({ constraint })', () => {
  const V = 16;
  const prompt = [1, 2, 3];

  it('every mode emits only grammar-valid tokens', async () => {
    const grammar = new ToyGrammar(V);
    const runs = [
      { mode: 'ar' as const, sampler: softmaxSampler() },
      { mode: 'verified' as const, sampler: softmaxSampler() },
      {
        mode: 'verified' as const,
        sampler: distributionSampler(),
        verification: 'speculative' as const,
        drafter: stochasticDrafter(),
      },
      { mode: 'dynamo' as const, sampler: headsArgmaxSampler() },
    ];
    for (const run of runs) {
      for (const forcedRuns of [true, false]) {
        for (let seed = 0; seed < 5; seed++) {
          const model = new FakeModel({ vocabSize: V, heads: 3, seed: 7 + seed, headAccuracy: 0.6 });
          const r = await generate({
            model,
            inputIds: prompt,
            maxNewTokens: 30,
            constraint: grammar,
            forcedRuns,
            seed,
            ...run,
          });
          expect(r.tokens.length, `${run.mode} ${seed}`).toBe(30);
          expect(follows(grammar, r.tokens), `${run.mode} seed ${seed}: ${r.tokens}`).toBe(true);
          expect(r.stats.constraint?.maskedPositions).toBeGreaterThan(0);
          if (forcedRuns) expect(r.stats.constraint?.forcedTokens).toBeGreaterThan(0);
          else expect(r.stats.constraint?.forcedTokens).toBe(0);
        }
      }
    }
  });

  it('greedy verified gives exactly greedy ar under the same constraint, with and without forced runs', async () => {
    const grammar = new ToyGrammar(V);
    let pruned = 0;
    for (const forcedRuns of [true, false]) {
      for (let seed = 0; seed < 4; seed++) {
        const model = new FakeModel({ vocabSize: V, heads: 3, seed: 20 + seed });
        const common = {
          model,
          inputIds: prompt,
          maxNewTokens: 40,
          constraint: grammar,
          forcedRuns,
          sampler: greedy(),
        };
        const ar = await generate({ ...common, mode: 'ar' });
        const verified = await generate({ ...common, mode: 'verified' });
        expect(verified.tokens).toEqual(ar.tokens);
        expect(follows(grammar, ar.tokens)).toBe(true);
        pruned += verified.stats.constraint?.prunedNodes ?? 0;
      }
    }
    // the heads' top-1 drafts the grammar rejects were cut before the pass
    expect(pruned).toBeGreaterThan(0);
  });

  it('sampled verified (match) gives ar its tokens for the same seed', async () => {
    const grammar = new ToyGrammar(V);
    const model = new FakeModel({ vocabSize: V, heads: 3, seed: 3 });
    const common = {
      model,
      inputIds: prompt,
      maxNewTokens: 40,
      constraint: grammar,
      sampler: softmaxSampler(),
      seed: 9,
    };
    const ar = await generate({ ...common, mode: 'ar' });
    const verified = await generate({ ...common, mode: 'verified' });
    expect(verified.tokens).toEqual(ar.tokens);
  });

  it('forced runs emit the forced tokens without a pass of their own', async () => {
    const grammar = new ToyGrammar(V);
    const model = new FakeModel({ vocabSize: V, heads: 1, seed: 4 });
    const common = { model, inputIds: prompt, maxNewTokens: 40, constraint: grammar, sampler: greedy(), mode: 'ar' };
    const on = await generate({ ...common, forcedRuns: true });
    const off = await generate({ ...common, forcedRuns: false });
    expect(on.tokens).toEqual(off.tokens);
    expect(off.stats.forwardPasses).toBe(40);
    expect(on.stats.forwardPasses).toBeLessThan(off.stats.forwardPasses);
    expect(on.stats.forwardPasses + (on.stats.constraint?.forcedTokens ?? 0)).toBe(40);
  });

  it.each([
    ['drafts that ignore the grammar', () => stochasticDrafter(1.5)],
    ['drafts masked by view.constraint', () => grammarDrafter(1.5)],
  ])('speculative sampling stays exact for the constrained distribution (chi-square): %s', async (_, makeDrafter) => {
    const Vs = 6;
    // the third token is forced, so the run crosses a forced position too
    const grammar = new ToyGrammar(Vs, -1, 3);
    const model = new FakeModel({ vocabSize: Vs, heads: 3, seed: 11, scale: 1.5, headAccuracy: 0.5 });
    const p = [1];
    const runs = 3000;
    const counts = new Map<string, number>();
    let pruned = 0;
    let forced = 0;
    for (let i = 0; i < runs; i++) {
      const r = await generate({
        model,
        inputIds: p,
        maxNewTokens: 3,
        mode: 'verified',
        sampler: distributionSampler(),
        drafter: makeDrafter(),
        verification: 'speculative',
        constraint: grammar,
        seed: 5000 + i,
      });
      pruned += r.stats.constraint?.prunedNodes ?? 0;
      forced += r.stats.constraint?.forcedTokens ?? 0;
      const key = r.tokens.join(',');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    let chi2 = 0;
    let cells = 0;
    for (let a = 0; a < Vs; a++) {
      const pa = constrainedProbs(model, grammar, p, [])[a] as number;
      for (let b = 0; b < Vs; b++) {
        const pb = pa === 0 ? 0 : (constrainedProbs(model, grammar, p, [a])[b] as number);
        for (let c = 0; c < Vs; c++) {
          const pc = pb === 0 ? 0 : (constrainedProbs(model, grammar, p, [a, b])[c] as number);
          const observed = counts.get(`${a},${b},${c}`) ?? 0;
          const expected = runs * pa * pb * pc;
          if (expected === 0) {
            expect(observed, `${a},${b},${c} is outside the grammar`).toBe(0);
            continue;
          }
          cells++;
          chi2 += (observed - expected) ** 2 / expected;
        }
      }
    }
    expect(forced).toBe(runs);
    // sampled drafts the grammar rejects stay as leaves; only what hangs under them is cut
    expect(pruned).toBeLessThan(runs * 2);
    const df = cells - 1;
    // the 0.999 quantile of chi-square(df), Wilson–Hilferty
    const z = 3.09;
    const quantile = df * (1 - 2 / (9 * df) + z * Math.sqrt(2 / (9 * df))) ** 3;
    expect(chi2).toBeLessThan(quantile);
  });

  it('a grammar that dead-ends finishes with "constraint" and the partial output, in every mode', async () => {
    const grammar = new ToyGrammar(V, 6);
    const runs = [
      { mode: 'ar' as const },
      { mode: 'verified' as const },
      { mode: 'dynamo' as const, sampler: headsArgmaxSampler() },
    ];
    for (const run of runs) {
      const model = new FakeModel({ vocabSize: V, heads: 3, seed: 2 });
      const r = await generate({ model, inputIds: prompt, maxNewTokens: 30, constraint: grammar, ...run });
      expect(r.finishReason, run.mode).toBe('constraint');
      expect(r.tokens.length).toBe(6);
      expect(follows(grammar, r.tokens)).toBe(true);
    }
  });

  it('rejects a malformed constraint or one for a larger vocabulary', async () => {
    const model = new FakeModel({ vocabSize: V });
    await expectCode(
      generate({ model, inputIds: prompt, constraint: {} as unknown as Constraint }),
      'DYNAMO_INVALID_OPTION',
      'constraint',
    );
    await expectCode(generate({ model, inputIds: prompt, constraint: new ToyGrammar(V + 1) }), 'DYNAMO_VOCAB_MISMATCH');
    await expectCode(
      generate({ model, inputIds: prompt, constraint: new ToyGrammar(V), forcedRuns: 'yes' as unknown as boolean }),
      'DYNAMO_INVALID_OPTION',
      'forcedRuns',
    );
  });
});
