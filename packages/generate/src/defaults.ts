import type { Draft, Drafter, Sampler, StepView } from '@dynamojs/core';

/** Index of the largest finite value (first one on ties); -1 when none is finite. */
export function argmax(row: ArrayLike<number>): number {
  let best = -1;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < row.length; i++) {
    const v = row[i] as number;
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

/** Default sampler: argmax of head 0, one token per step. Stateless, safe to share. */
export function greedySampler(): Sampler {
  const out = new Int32Array(1);
  return {
    name: 'greedy',
    heads: 1,
    sample(view: StepView) {
      out[0] = argmax(view.logits(0));
      return out;
    },
  };
}

/** Default drafter for `'verified'`: the argmax of every extra head (a point-mass draft). */
export function topOneHeadsDrafter(): Drafter {
  return {
    name: 'top-1',
    draft(view: StepView): Draft {
      const n = Math.max(0, view.heads - 1);
      const tokens = new Int32Array(n);
      for (let h = 1; h <= n; h++) tokens[h - 1] = argmax(view.logits(h));
      return { tokens };
    },
  };
}
