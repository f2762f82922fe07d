import { describe, expect, it } from 'vitest';
import { DEFAULT_TREE_BUDGET, recommendedTreeBudget } from '../src/index.js';

describe('recommendedTreeBudget', () => {
  it('keeps trees small where rows cost arithmetic and bigger where they are nearly free', () => {
    expect(recommendedTreeBudget('cpu')).toBe(8);
    expect(recommendedTreeBudget('wasm')).toBe(8);
    expect(recommendedTreeBudget('webgpu')).toBe(24);
    expect(recommendedTreeBudget('CUDA')).toBe(24);
    expect(recommendedTreeBudget(undefined)).toBe(DEFAULT_TREE_BUDGET);
    expect(recommendedTreeBudget('npu')).toBe(DEFAULT_TREE_BUDGET);
  });
});
