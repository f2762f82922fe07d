import { DynamoErrorCode, isDynamoError } from '@dynamojs/core';
import { describe, expect, it } from 'vitest';
import { DraftLayout } from '../src/strategies/verify/draftLayout.js';
import { HeadRowPlanner } from '../src/strategies/verify/headRowPlanner.js';

const VOCAB = 32;

/** Every chunk node's children, from the layout's lists. */
function childrenOf(layout: DraftLayout): number[][] {
  return Array.from({ length: layout.length }, (_, node) =>
    Array.from({ length: layout.childCount(node) }, (_, i) => layout.child(layout.childOffset(node) + i)),
  );
}

function laidOut(
  tokens: number[],
  parents: number[] | undefined,
  limits: { depth?: number; nodes?: number; treeAttention?: boolean; scores?: number[] } = {},
): DraftLayout {
  const layout = new DraftLayout('test', VOCAB, limits.treeAttention ?? true);
  layout.begin(9);
  layout.layOut(
    { tokens, ...(parents && { parents }), ...(limits.scores && { scores: limits.scores }) },
    limits.depth ?? 10,
    limits.nodes ?? 100,
  );
  return layout;
}

describe('DraftLayout', () => {
  it('lays out a chain after next', () => {
    const layout = laidOut([4, 5, 6], undefined);
    expect(Array.from(layout.tokensView())).toEqual([9, 4, 5, 6]);
    expect(Array.from(layout.parentsView())).toEqual([-1, 0, 1, 2]);
    expect(layout.isTree).toBe(false);
    expect(layout.scored).toBe(false);
    expect(childrenOf(layout)).toEqual([[1], [2], [3], []]);
  });

  it('lays out a tree with its children lists in the drafter order', () => {
    // next → 1, 4; 1 → 2, 3
    const layout = laidOut([4, 5, 6, 7], [-1, 0, 0, -1]);
    expect(Array.from(layout.tokensView())).toEqual([9, 4, 5, 6, 7]);
    expect(Array.from(layout.parentsView())).toEqual([-1, 0, 1, 1, 0]);
    expect(layout.isTree).toBe(true);
    expect(childrenOf(layout)).toEqual([[1, 4], [2, 3], [], [], []]);
  });

  it('prunes to maxDepth and maxNodes, and a pruned node takes its subtree', () => {
    const tokens = [1, 2, 3, 4, 5, 6];
    const parents = [-1, 0, 1, -1, 3, 0];
    expect(Array.from(laidOut(tokens, parents, { depth: 2 }).tokensView())).toEqual([9, 1, 2, 4, 5, 6]);
    expect(Array.from(laidOut(tokens, parents, { depth: 1 }).tokensView())).toEqual([9, 1, 4]);
    const three = laidOut(tokens, parents, { nodes: 3 });
    expect(Array.from(three.tokensView())).toEqual([9, 1, 2, 3]);
    expect(three.isTree).toBe(false);
  });

  it('without tree attention keeps the first root-to-leaf path and says it cut the tree', () => {
    const layout = laidOut([4, 5, 6, 7], [-1, 0, 0, -1], { treeAttention: false });
    expect(Array.from(layout.tokensView())).toEqual([9, 4, 5]);
    expect(layout.isTree).toBe(false);
    expect(layout.fellBack).toBe(true);
    layout.begin(9);
    expect(layout.fellBack).toBe(false);
  });

  it('keeps next’s score (1) when a large draft grows the buffers', () => {
    const m = 40;
    const tokens = Array.from({ length: m }, (_, i) => i % VOCAB);
    const parents = Array.from({ length: m }, () => -1);
    const scores = Array.from({ length: m }, (_, i) => 0.01 * (i + 1));
    const layout = laidOut(tokens, parents, { scores });
    expect(layout.length).toBe(m + 1);
    expect(layout.scored).toBe(true);
    expect(layout.score(0)).toBe(1);
    expect(layout.token(0)).toBe(9);
    expect(layout.score(m)).toBeCloseTo(0.4);
    expect(layout.childCount(0)).toBe(m);
  });

  it('rejects invalid drafts with DYNAMO_SAMPLER', () => {
    const bad = [
      () => laidOut([4, VOCAB], undefined),
      () => laidOut([4, 5], [1, -1]),
      () => new DraftLayout('test', VOCAB, true).layOut({ tokens: [1], probability: () => 1 }, 4, 4),
      () => new DraftLayout('test', VOCAB, true).layOut(undefined as never, 4, 4),
    ];
    for (const f of bad) {
      try {
        f();
        throw new Error('expected DYNAMO_SAMPLER');
      } catch (error) {
        expect(isDynamoError(error, DynamoErrorCode.SAMPLER), String(error)).toBe(true);
      }
    }
  });
});

describe('HeadRowPlanner', () => {
  // next → 1 (score 1/2) → 2 (1/4); next → 3 (3/8); 1 → 4 (1/8).
  // P(stop at v) = score(v) − Σ score(children): 1/8, 1/8, 1/4, 3/8, 1/8 (exact in binary)
  const tree = laidOut([1, 2, 3, 4], [-1, 0, -1, 0], { scores: [0.5, 0.25, 0.375, 0.125] });
  const plan = (headRows: 'auto' | 'all' | 'last' | number, chunk = tree) => new HeadRowPlanner(headRows).plan(chunk);
  const list = (rows: ReturnType<typeof plan>) => (typeof rows === 'string' ? rows : Array.from(rows));

  it('a tree gets the R likeliest end nodes, in node order (default 3)', () => {
    expect(list(plan('auto'))).toEqual([0, 2, 3]);
    expect(list(plan(1))).toEqual([3]);
    expect(list(plan(2))).toEqual([2, 3]);
    expect(list(plan('last'))).toEqual([3]);
    expect(plan('all')).toBe('all');
    expect(plan(5)).toBe('all');
  });

  it('ties go to the earlier node', () => {
    expect(list(plan(4))).toEqual([0, 1, 2, 3]);
  });

  it('unscored drafts get every node; chains keep their headRows', () => {
    expect(plan(2, laidOut([1, 2, 3, 4], [-1, 0, -1, 0]))).toBe('all');
    const chain = laidOut([1, 2, 3], undefined, { scores: [0.5, 0.2, 0.1] });
    expect(plan('auto', chain)).toBe('all');
    expect(plan('last', chain)).toBe('last');
    expect(list(plan(1, chain))).toEqual([0]);
  });

  it('reuses its list between plans of the same size', () => {
    const planner = new HeadRowPlanner(2);
    expect(planner.plan(tree)).toBe(planner.plan(tree));
  });
});
