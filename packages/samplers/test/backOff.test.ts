import { createRng } from '@dynamojs/core';
import { describe, expect, it } from 'vitest';
import {
  argmaxCell,
  backOffBounds,
  drawCell,
  HeadTopK,
  JointCells,
  RepetitionScratch,
  repetitionPenaltyCells,
  selectHeadTopK,
  shouldBackOff,
  shouldBackOffAt,
  staticThreshold,
  staticThresholdAt,
  staticThresholdValue,
} from '../src/index.js';

function cellsOf(n: number, k: number, values: number[]): JointCells {
  const cells = new JointCells(k, n);
  cells.reset(n, k);
  for (const [i, v] of values.entries()) cells.push(i, v);
  return cells;
}

describe('back-off, static threshold, repetition, draw', () => {
  it('back off unless some cell exceeds eps^(n-1); eps 0 backs off only when empty, eps 1 always', () => {
    expect(shouldBackOff(cellsOf(3, 4, [0.3, 0.2]), 0.5, 3)).toBe(false); // 0.3 > 0.25
    expect(shouldBackOff(cellsOf(3, 4, [0.25, 0.2]), 0.5, 3)).toBe(true);
    expect(shouldBackOff(cellsOf(2, 4, [0.45]), 0.5, 2)).toBe(true);
    expect(shouldBackOff(cellsOf(2, 4, [1e-12]), 0, 2)).toBe(false);
    expect(shouldBackOff(cellsOf(2, 4, []), 0, 2)).toBe(true);
    expect(shouldBackOff(cellsOf(2, 4, [1]), 1, 2)).toBe(true);
  });

  it('precomputed variants agree with the plain ones', () => {
    for (const eps of [0, 0.3, 0.5, 0.99, 1]) {
      const bounds = backOffBounds(eps);
      for (const n of [1, 2, 3]) {
        for (const values of [[0.3, 0.2], [0.25], [1], [1e-9], []]) {
          expect(shouldBackOffAt(cellsOf(n, 4, values), bounds, n)).toBe(shouldBackOff(cellsOf(n, 4, values), eps, n));
        }
      }
    }
    const a = cellsOf(2, 4, [0.1, 0.3, 0.05, 0.25]);
    staticThresholdAt(a, Float64Array.from([0, 0, 0.25, 0]), 2);
    expect(Array.from(a.value.subarray(0, a.size))).toEqual([0.3, 0.25]);
  });

  it('static threshold values and zeroing', () => {
    expect(staticThresholdValue('epsilon-power', 0.5, 3)).toBe(0.25);
    expect(staticThresholdValue('epsilon', 0.5, 3)).toBe(0.5);
    expect(staticThresholdValue('off', 0.5, 3)).toBe(0);
    expect(staticThresholdValue(0.1, 0.5, 3)).toBe(0.1);
    const cells = cellsOf(2, 4, [0.1, 0.3, 0.05, 0.25]);
    staticThreshold(cells, 0.25);
    expect(Array.from(cells.value.subarray(0, cells.size))).toEqual([0.3, 0.25]);
    expect(Array.from(cells.index.subarray(0, cells.size))).toEqual([1, 3]);
  });

  it('repetition cells: within the n-gram, in the context window, once per cell', () => {
    // head top-k over 4 tokens, k = 4: ranks = ids when logits decrease with id
    const row = Float32Array.from([4, 3, 2, 1]);
    const heads = [0, 1, 2].map((h) => {
      const head = new HeadTopK(4, 4);
      selectHeadTopK(row, 4, 1, head, h);
      return head;
    });
    const make = (): JointCells => {
      const cells = new JointCells(4, 3);
      cells.reset(3, 4);
      cells.push(0 * 16 + 0 * 4 + 1, 1); // 0 0 1: within
      cells.push(1 * 16 + 2 * 4 + 3, 1); // 1 2 3: none (context has 3 below)
      cells.push(2 * 16 + 3 * 4 + 2, 1); // 2 3 2: within (x1 = x3)
      return cells;
    };
    const scratch = new RepetitionScratch();
    const within = make();
    repetitionPenaltyCells(within, heads, 2, 'within', [3], 64, scratch);
    expect(Array.from(within.value.subarray(0, 3))).toEqual([0.5, 1, 0.5]);
    const context = make();
    repetitionPenaltyCells(context, heads, 2, 'context', [3], 64, scratch);
    expect(Array.from(context.value.subarray(0, 3))).toEqual([1, 0.5, 0.5]);
    const both = make();
    repetitionPenaltyCells(both, heads, 2, 'both', [3], 64, scratch);
    expect(Array.from(both.value.subarray(0, 3))).toEqual([0.5, 0.5, 0.5]);
    const windowed = make();
    repetitionPenaltyCells(windowed, heads, 2, 'context', [3, 0], 1, scratch);
    expect(Array.from(windowed.value.subarray(0, 3))).toEqual([0.5, 1, 1]);
    expect(scratch.marks.every((m) => m === 0)).toBe(true);
  });

  it('drawCell: inverse CDF in listing order, zeros never drawn, -1 when empty', () => {
    const cells = cellsOf(2, 4, [0.2, 0, 0.8]);
    expect(drawCell(cells, 0)).toBe(0);
    expect(drawCell(cells, 0.19)).toBe(0);
    expect(drawCell(cells, 0.21)).toBe(2);
    expect(drawCell(cells, 0.999999)).toBe(2);
    expect(drawCell(cellsOf(2, 4, [0, 0]), 0.5)).toBe(-1);
    expect(argmaxCell(cells)).toBe(2);
    const rng = createRng(3);
    const hits = [0, 0, 0];
    for (let i = 0; i < 4000; i++) hits[drawCell(cells, rng.next())]! += 1;
    expect(hits[1]).toBe(0);
    expect((hits[2] as number) / 4000).toBeGreaterThan(0.75);
  });
});
