import { createRng, DynamoErrorCode, isDynamoError } from '@dynamojs/core';
import { describe, expect, it } from 'vitest';
import { dynamoDrafter } from '../src/index.js';
import { makeStepView, randomDocs, randomHeadLogits, tablesFrom } from './dynamoFixtures.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (isDynamoError(error)) return error.code;
    throw error;
  }
  return undefined;
}

const V = 12;
// 1 → (2 3) often, (4 5) once; 7 → 8 only (no triplet); 9 never starts anything.
const tables = tablesFrom(
  [
    [1, 2, 3],
    [1, 2, 3],
    [1, 4, 5],
    [7, 8],
  ],
  V,
);

function flatLogits(): Float32Array[] {
  return [0, 1, 2].map(() => new Float32Array(V));
}

describe('dynamoDrafter', () => {
  it('argmax drafts the most probable seen continuation of the exact next token', () => {
    const d = dynamoDrafter({ tables, topK: V });
    const logits = flatLogits();
    // heads slightly prefer 4, 5 but (1 2 3) has higher co-occurrence weight? make it explicit:
    (logits[1] as Float32Array)[2] = 3;
    (logits[2] as Float32Array)[3] = 3;
    expect(Array.from(d.draft(makeStepView(logits), 1).tokens)).toEqual([2, 3]);
    const prefer45 = flatLogits();
    (prefer45[1] as Float32Array)[4] = 6;
    (prefer45[2] as Float32Array)[5] = 6;
    expect(Array.from(d.draft(makeStepView(prefer45), 1).tokens)).toEqual([4, 5]);
  });

  it('pairs only when no triplet survives, nothing when no pair does', () => {
    const d = dynamoDrafter({ tables, topK: V });
    expect(Array.from(d.draft(makeStepView(flatLogits()), 7).tokens)).toEqual([8]);
    expect(d.draft(makeStepView(flatLogits()), 9).tokens.length).toBe(0);
    // x2 outside head 1's top-k: masked
    const logits = flatLogits();
    (logits[1] as Float32Array)[2] = -100;
    (logits[1] as Float32Array)[4] = -100;
    expect(dynamoDrafter({ tables, topK: 3 }).draft(makeStepView(logits), 1).tokens.length).toBe(0);
  });

  it('respects view.heads and maxDraft; typed errors for bad input', () => {
    const d = dynamoDrafter({ tables, topK: V });
    expect(d.draft(makeStepView(flatLogits(), { heads: 1 }), 1).tokens.length).toBe(0);
    expect(Array.from(d.draft(makeStepView(flatLogits(), { heads: 2 }), 1).tokens)).toEqual([2]);
    expect(d.draft(makeStepView(flatLogits(), { maxTokens: 2 }), 1).tokens.length).toBe(1);
    expect(dynamoDrafter({ tables, topK: V, maxDraft: 1 }).draft(makeStepView(flatLogits()), 1).tokens.length).toBe(1);
    expect(codeOf(() => d.draft(makeStepView(flatLogits()), V))).toBe(DynamoErrorCode.TOKEN_OUT_OF_RANGE);
    expect(codeOf(() => d.draft(makeStepView(randomHeadLogits(V + 1, 3, 1)), 1))).toBe(DynamoErrorCode.VOCAB_MISMATCH);
    expect(codeOf(() => dynamoDrafter({ tables: undefined as never }))).toBe(DynamoErrorCode.INVALID_OPTION);
    expect(codeOf(() => dynamoDrafter({ tables, mode: 'x' as 'argmax' }))).toBe(DynamoErrorCode.INVALID_OPTION);
    const argmax = d.draft(makeStepView(flatLogits()), 1);
    expect(argmax.probability).toBeUndefined();
    expect(argmax.distribution).toBeUndefined();
  });

  it('sampled drafts report q consistent with their distributions, and follow them', () => {
    const big = 40;
    const t = tablesFrom(randomDocs(big, 50, 100, 3), big);
    const d = dynamoDrafter({ tables: t, topK: 10, mode: 'sample' });
    const logits = randomHeadLogits(big, 3, 4, 1);
    const rng = createRng(5);
    const counts = new Map<number, number>();
    let dist0: ArrayLike<number> | undefined;
    const N = 3000;
    let drafted = 0;
    for (let i = 0; i < N; i++) {
      const draft = d.draft(makeStepView(logits, { rng }), 0);
      if (draft.tokens.length === 0) continue;
      drafted++;
      const x2 = draft.tokens[0] as number;
      counts.set(x2, (counts.get(x2) ?? 0) + 1);
      const q0 = draft.distribution?.(0) as ArrayLike<number>;
      dist0 = q0;
      expect(draft.probability?.(0)).toBeCloseTo(q0[x2] as number, 6);
      let sum = 0;
      for (let j = 0; j < big; j++) sum += q0[j] as number;
      expect(sum).toBeCloseTo(1, 5);
      if (draft.tokens.length === 2) {
        const q1 = draft.distribution?.(1) as ArrayLike<number>;
        expect(draft.probability?.(1)).toBeCloseTo(q1[draft.tokens[1] as number] as number, 6);
      }
    }
    expect(drafted).toBe(N);
    // empirical frequencies of x2 match q0 (loose: 5 standard errors)
    for (const [tok, c] of counts) {
      const q = (dist0 as ArrayLike<number>)[tok] as number;
      expect(Math.abs(c / N - q)).toBeLessThan(5 * Math.sqrt((q * (1 - q)) / N) + 1e-3);
    }
  });
});
