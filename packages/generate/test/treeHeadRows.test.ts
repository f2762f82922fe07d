import type { Draft, Drafter, StepView } from '@dynamojs/core';
import { describe, expect, it } from 'vitest';
import { generate } from '../src/index.js';
import { FakeModel } from './fakes.js';

const PROMPT = [1, 2, 3];

/** The k likeliest tokens of a row, best first (ties: the lower id). */
function best(row: ArrayLike<number>, k: number): number[] {
  const ids = Array.from({ length: row.length }, (_, i) => i);
  return ids.sort((a, b) => (row[b] as number) - (row[a] as number) || a - b).slice(0, k);
}

const FIRST = [0.4, 0.2, 0.1, 0.05];
const SECOND = [0.5, 0.2, 0.1, 0.05];

/**
 * A scored 4 × 4 tree — 20 nodes, more than the layout's initial 16 slots, so the first pass grows
 * its buffers: head 1's top 4 after `next`, under each head 2's top 4. Depth-1 scores FIRST (Σ 0.75),
 * the children of a node scored s get s · SECOND (Σ 0.85 s). Chunk nodes: 0 = next, 1 + 5a = the
 * a-th depth-1 node, its children 2 + 5a … 5 + 5a.
 *
 * P(stop at v) = score(v) − Σ score(children): next 1 − 0.75 = 0.25; depth-1 nodes 0.15 s (≤ 0.06);
 * the leaves their score: 0.2 (node 2), 0.1 (node 7), 0.08 (node 3), … So the 3 likeliest end
 * nodes are [0, 2, 7] and the likeliest one is 0 — provided node 0's score is 1 (a score lost
 * while the buffers grow would make them [2, 3, 7] and [2]).
 */
const scoredTree: Drafter = {
  name: 'scored-4x4',
  draft(view: StepView): Draft {
    const tokens: number[] = [];
    const parents: number[] = [];
    const scores: number[] = [];
    if (view.heads < 3) return { tokens };
    const first = best(view.logits(1), FIRST.length);
    const second = best(view.logits(2), SECOND.length);
    first.forEach((a, i) => {
      const at = tokens.length;
      const s = FIRST[i] as number;
      tokens.push(a);
      parents.push(-1);
      scores.push(s);
      second.forEach((b, j) => {
        tokens.push(b);
        parents.push(at);
        scores.push(s * (SECOND[j] as number));
      });
    });
    return { tokens, parents, scores };
  },
};

describe('verified trees: head rows from the draft scores', () => {
  for (const [headRows, expected] of [
    [undefined, [0, 2, 7]],
    [3, [0, 2, 7]],
    [1, [0]],
  ] as const) {
    it(`a first pass of 20 scored nodes gives the extra heads to the likeliest end nodes (headRows ${String(headRows)})`, async () => {
      const model = new FakeModel({ seed: 3, headAccuracy: 0.6 });
      const r = await generate({
        model,
        inputIds: PROMPT,
        maxNewTokens: 24,
        mode: 'verified',
        drafter: scoredTree,
        ...(headRows !== undefined && { headRows }),
      });
      expect(r.tokens).toEqual(model.greedy(PROMPT, 24));
      // the first verification pass (calls[0] is the prompt) is a whole 4 × 4 tree
      const first = model.calls[1]!;
      expect(first.tokens.length).toBe(21);
      expect(first.headRows).toEqual(expected);
      // and so is every later whole tree: the same shape and scores, the same rows
      const whole = model.calls.slice(1).filter((c) => c.tokens.length === 21);
      expect(whole.length).toBeGreaterThan(1);
      for (const c of whole) expect(c.headRows).toEqual(expected);
    });
  }
});
