import { createRng, type Draft, type Drafter, DynamoErrorCode, isDynamoError, type StepView } from '@dynamojs/core';
import { repetitionPenalty, sampling, speculativeVerifier, temperature } from '@dynamojs/samplers';
import { describe, expect, it } from 'vitest';
import { generate } from '../src/index.js';
import { FakeModel } from './fakes.js';

const PROMPT = [1, 2, 3];

/** Indices of the k largest entries of a row, best first. */
function topIndices(row: ArrayLike<number>, k: number): number[] {
  return Array.from(row, (v, i) => [v, i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, k)
    .map(([, i]) => i);
}

/**
 * A deterministic tree drafter: head 1's top `width[0]` tokens after `next`, and under each, head
 * 2's top `width[1]` tokens — the shape of a DynaMo candidate tree, without tables.
 */
function topTreeDrafter(
  width: readonly number[] = [3, 2],
): Omit<Drafter, 'draft'> & { draft(view: StepView, next?: number): Draft } {
  return {
    name: 'top-tree',
    draft(view: StepView): Draft {
      const tokens: number[] = [];
      const parents: number[] = [];
      if (view.heads < 2) return { tokens };
      const first = topIndices(view.logits(1), width[0] as number);
      const second = view.heads > 2 ? topIndices(view.logits(2), width[1] as number) : [];
      for (const a of first) {
        const at = tokens.length;
        tokens.push(a);
        parents.push(-1);
        for (const b of second) {
          tokens.push(b);
          parents.push(at);
        }
      }
      return { tokens, parents };
    },
  };
}

function softmax(row: ArrayLike<number>, T = 1): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < row.length; i++) max = Math.max(max, row[i] as number);
  const p = new Float64Array(row.length);
  let s = 0;
  for (let i = 0; i < row.length; i++) s += p[i] = Math.exp(((row[i] as number) - max) / T);
  for (let i = 0; i < row.length; i++) p[i] = (p[i] as number) / s;
  return p;
}

function draw(p: ArrayLike<number>, u: number): number {
  let acc = 0;
  for (let i = 0; i < p.length; i++) {
    acc += p[i] as number;
    if (u < acc) return i;
  }
  return p.length - 1;
}

/**
 * A stochastic tree drafter that reports its proposals: at depth 1, `width` candidates drawn from
 * softmax(head 1 / T) — with replacement (i.i.d.: every proposal is q) or without (each proposal is
 * q renormalised without the earlier candidates) — and one child under each drawn from head 2.
 */
function sampledTreeDrafter(width: number, replacement: boolean, T = 1.5): Drafter {
  return {
    name: replacement ? 'iid-tree' : 'distinct-tree',
    draft(view: StepView): Draft {
      const tokens: number[] = [];
      const parents: number[] = [];
      const proposals: Float64Array[] = [];
      if (view.heads < 3) return { tokens };
      const q1 = softmax(view.logits(1), T);
      const q2 = softmax(view.logits(2), T);
      let q = q1;
      for (let w = 0; w < width; w++) {
        const a = draw(q, view.rng.next());
        const at = tokens.length;
        tokens.push(a);
        parents.push(-1);
        proposals.push(q);
        tokens.push(draw(q2, view.rng.next()));
        parents.push(at);
        proposals.push(q2);
        if (!replacement) {
          const rest = Float64Array.from(q);
          const left = 1 - (rest[a] as number);
          rest[a] = 0;
          if (!(left > 1e-9)) break;
          for (let i = 0; i < rest.length; i++) rest[i] = (rest[i] as number) / left;
          q = rest;
        }
      }
      return {
        tokens,
        parents,
        probability: (i) => (proposals[i] as Float64Array)[tokens[i] as number] as number,
        distribution: (i) => proposals[i] as Float64Array,
      };
    },
  };
}

describe('verified mode with token trees', () => {
  it('greedy: identical to ar, one tree pass per step, the cache keeps only the accepted path', async () => {
    for (const seed of [1, 2, 3, 4]) {
      const model = new FakeModel({ seed, headAccuracy: 0.5 });
      const ar = await generate({ model, inputIds: PROMPT, maxNewTokens: 60, mode: 'ar' });
      const chain = await generate({ model, inputIds: PROMPT, maxNewTokens: 60, mode: 'verified' });
      const callsBefore = model.calls.length;
      const tree = await generate({
        model,
        inputIds: PROMPT,
        maxNewTokens: 60,
        mode: 'verified',
        drafter: topTreeDrafter(),
      });
      expect(tree.tokens).toEqual(ar.tokens);
      // (the fake's heads are either right or point at a random token: extra candidates rarely help)
      expect(tree.stats.tokensPerPass).toBeGreaterThanOrEqual(chain.stats.tokensPerPass);
      const acc = tree.stats.acceptance!;
      expect(acc.treePasses).toBeGreaterThan(0);
      expect(acc.draftedNodes).toBeGreaterThan(acc.passes * 5);
      const calls = model.calls.slice(callsBefore);
      expect(calls.slice(1).some((c) => c.parents !== undefined && c.positions === 'all')).toBe(true);
      const cache = model.caches[model.caches.length - 1]!;
      expect(cache.compactions.length).toBeGreaterThan(0);
      // Every compaction keeps the prefix and a root-to-node path of the tree.
      for (const keep of cache.compactions) {
        for (let i = 1; i < keep.length; i++) expect(keep[i]).toBeGreaterThan(keep[i - 1]!);
      }
    }
  });

  it('with scored drafts the extra heads run only at the likeliest end nodes (headRows), same tokens', async () => {
    const inner = topTreeDrafter([3, 2]);
    const scored: Drafter = {
      name: 'scored-tree',
      draft(view, next) {
        const d = inner.draft(view, next);
        const parents = Array.from(d.parents ?? []);
        const scores = parents.map((p, i) => (p < 0 ? ([0.6, 0.25, 0.1][i % 3] ?? 0.1) : 0.4 / (1 + (i % 2))));
        return { ...d, scores };
      },
    };
    for (const headRows of [undefined, 1, 2] as const) {
      const model = new FakeModel({ seed: 12, headAccuracy: 0.8 });
      const r = await generate({
        model,
        inputIds: PROMPT,
        maxNewTokens: 40,
        mode: 'verified',
        drafter: scored,
        ...(headRows !== undefined && { headRows }),
      });
      expect(r.tokens).toEqual(model.greedy(PROMPT, 40));
      const listed = model.calls.filter((c) => c.headRows !== undefined);
      expect(listed.length).toBeGreaterThan(0);
      for (const c of listed) {
        expect(c.headRows!.length).toBeLessThanOrEqual(headRows ?? 3);
        expect([...c.headRows!].sort((a, b) => a - b)).toEqual(c.headRows);
      }
      expect(r.stats.tokensPerPass).toBeGreaterThan(1);
    }
  });

  it('perfect heads: every depth accepted, 3 tokens per pass', async () => {
    const model = new FakeModel({ headAccuracy: 1 });
    const v = await generate({
      model,
      inputIds: PROMPT,
      maxNewTokens: 31,
      mode: 'verified',
      drafter: topTreeDrafter(),
    });
    expect(v.tokens).toEqual(model.greedy(PROMPT, 31));
    expect(v.steps).toEqual([1, ...new Array(10).fill(3)]);
    expect(v.stats.acceptance?.rate).toEqual([1, 1]);
  });

  it('sampling with a seed (match verification): identical tokens to ar with the same seed', async () => {
    for (const seed of [21, 22, 23]) {
      const model = new FakeModel({ seed, scale: 2 });
      const sampler = () => sampling({ temperature: 0.9, topK: 8 });
      const ar = await generate({ model, inputIds: PROMPT, maxNewTokens: 40, sampler: sampler(), seed });
      const v = await generate({
        model,
        inputIds: PROMPT,
        maxNewTokens: 40,
        sampler: sampler(),
        seed,
        mode: 'verified',
        drafter: topTreeDrafter([4, 3]),
      });
      expect(v.tokens).toEqual(ar.tokens);
    }
  });

  it('a model without tree attention verifies the first path of each tree, and says so', async () => {
    const model = new FakeModel({ seed: 6, headAccuracy: 0.6, treeAttention: false });
    const v = await generate({
      model,
      inputIds: PROMPT,
      maxNewTokens: 40,
      mode: 'verified',
      drafter: topTreeDrafter(),
    });
    expect(v.tokens).toEqual(model.greedy(PROMPT, 40));
    expect(v.stats.acceptance?.treeFallback).toMatch(/tree attention/);
    expect(v.stats.acceptance?.treePasses).toBe(0);
    expect(model.calls.every((c) => c.parents === undefined && c.tokens.length <= 3)).toBe(true);
  });

  it('drafts are cut to the room left and to maxDraftTokens', async () => {
    const model = new FakeModel({ headAccuracy: 1 });
    const v = await generate({
      model,
      inputIds: PROMPT,
      maxNewTokens: 2,
      mode: 'verified',
      drafter: topTreeDrafter([3, 3]),
    });
    expect(v.tokens).toEqual(model.greedy(PROMPT, 2));
    // after the first token only one more is allowed: depth-1 nodes only
    expect(model.calls[1]?.tokens.length).toBe(4);
    const m2 = new FakeModel({ headAccuracy: 1 });
    await generate({
      model: m2,
      inputIds: PROMPT,
      maxNewTokens: 20,
      mode: 'verified',
      drafter: topTreeDrafter([3, 3]),
      maxDraftTokens: 5,
    });
    expect(m2.calls.slice(1).every((c) => c.tokens.length <= 6)).toBe(true);
  });

  it('an abort between tree passes resolves with the tokens so far, the cache freed', async () => {
    const model = new FakeModel({ seed: 8, headAccuracy: 0.6 });
    const controller = new AbortController();
    let drafts = 0;
    const inner = topTreeDrafter();
    const drafter: Drafter = {
      name: 'aborting',
      draft(view, next) {
        if (++drafts === 4) controller.abort();
        return inner.draft(view, next);
      },
    };
    const r = await generate({
      model,
      inputIds: PROMPT,
      maxNewTokens: 60,
      mode: 'verified',
      drafter,
      signal: controller.signal,
    });
    expect(r.aborted).toBe(true);
    expect(r.tokens).toEqual(model.greedy(PROMPT, r.tokens.length));
    expect(model.caches.every((c) => c.disposed)).toBe(true);
  });
});

describe('verified mode with token trees: the distribution of ar, exactly (chi-square)', () => {
  const V = 4;
  const prompt = [1];
  const runs = 3000;
  // 0.999 quantile of chi-square with 63 degrees of freedom.
  const CHI2_63 = 103.4;

  /** Exact probability of a 3-token continuation under the sampler (and processors) of the test. */
  function exactProbability(model: FakeModel, seq: number[], T: number, penalty: number): number {
    let p = 1;
    const history = [...prompt];
    for (const t of seq) {
      const row = model.baseLogits(history).slice();
      if (penalty !== 1) repetitionPenalty(penalty).process(row, { head: 0, history: Int32Array.from(history) });
      temperature(T).process(row, { head: 0, history: new Int32Array(0) });
      p *= softmax(row)[t] as number;
      history.push(t);
    }
    return p;
  }

  async function chiSquare(drafter: Drafter, penalty: number): Promise<{ chi2: number; accepted: number }> {
    const model = new FakeModel({ vocabSize: V, seed: 5, scale: 1.5, headAccuracy: 0.5 });
    const counts = new Float64Array(V ** 3);
    const T = 0.8;
    let accepted = 0;
    for (let i = 0; i < runs; i++) {
      const sampler = sampling({ temperature: T });
      const r = await generate({
        model,
        inputIds: prompt,
        maxNewTokens: 3,
        mode: 'verified',
        sampler,
        verifier: speculativeVerifier(sampler),
        drafter,
        ...(penalty !== 1 && { processors: repetitionPenalty(penalty) }),
        seed: 7000 + i,
      });
      accepted += r.stats.acceptance!.accepted.reduce((a, b) => a + b, 0);
      const [a, b, c] = r.tokens as [number, number, number];
      counts[a * V * V + b * V + c]!++;
    }
    let chi2 = 0;
    for (let a = 0; a < V; a++) {
      for (let b = 0; b < V; b++) {
        for (let c = 0; c < V; c++) {
          const expected = runs * exactProbability(model, [a, b, c], T, penalty);
          chi2 += (counts[a * V * V + b * V + c]! - expected) ** 2 / expected;
        }
      }
    }
    return { chi2, accepted };
  }

  it('deterministic candidate trees (several per position), without and with processors', async () => {
    for (const penalty of [1, 1.5]) {
      const { chi2, accepted } = await chiSquare(topTreeDrafter([2, 2]), penalty);
      expect(chi2).toBeLessThan(CHI2_63);
      expect(accepted).toBeGreaterThan(runs / 2);
    }
  });

  it('sampled candidate trees, drawn with replacement (i.i.d.) and without, with processors', async () => {
    for (const replacement of [true, false]) {
      const { chi2, accepted } = await chiSquare(sampledTreeDrafter(3, replacement), 1.3);
      expect(chi2).toBeLessThan(CHI2_63);
      expect(accepted).toBeGreaterThan(runs / 2);
    }
  });

  it('a drafter that misreports its proposals is caught where it can be (q(d) = 0)', async () => {
    const liar: Drafter = {
      name: 'liar',
      draft: () => ({ tokens: [2], parents: [-1], probability: () => 0, distribution: () => new Float64Array(V) }),
    };
    const sampler = sampling({ temperature: 1 });
    try {
      await generate({
        model: new FakeModel({ vocabSize: V }),
        inputIds: prompt,
        mode: 'verified',
        sampler,
        verifier: speculativeVerifier(sampler),
        drafter: liar,
        maxNewTokens: 3,
        seed: 1,
      });
      throw new Error('expected DYNAMO_SAMPLER');
    } catch (error) {
      expect(isDynamoError(error, DynamoErrorCode.SAMPLER)).toBe(true);
    }
    expect(createRng(1).next()).toBeGreaterThanOrEqual(0);
  });
});
