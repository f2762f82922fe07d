import type { HeadTopK } from './headTopK.js';
import type { JointCells } from './jointCells.js';

/**
 * The joint estimate without co-occurrence information: the outer product of the first n heads'
 * top-k distributions, J[x_1..x_n] = p_1(x_1) · … · p_n(x_n) over all k^n cells (the paper's
 * "no mask" variant). Cells are listed in ascending token-id order. O(k^n).
 */
export function outerProductJoint(heads: readonly HeadTopK[], n: number, cells: JointCells): void {
  const k = (heads[0] as HeadTopK).capacity;
  cells.reset(n, k);
  const h0 = heads[0] as HeadTopK;
  if (n === 1) {
    for (let i = 0; i < h0.count; i++) {
      const r = h0.rankById[i] as number;
      cells.push(r, h0.probs[r] as number);
    }
  } else if (n === 2) {
    const h1 = heads[1] as HeadTopK;
    for (let i = 0; i < h0.count; i++) {
      const r0 = h0.rankById[i] as number;
      const p0 = h0.probs[r0] as number;
      for (let j = 0; j < h1.count; j++) {
        const r1 = h1.rankById[j] as number;
        cells.push(r0 * k + r1, p0 * (h1.probs[r1] as number));
      }
    }
  } else {
    const h1 = heads[1] as HeadTopK;
    const h2 = heads[2] as HeadTopK;
    for (let i = 0; i < h0.count; i++) {
      const r0 = h0.rankById[i] as number;
      const p0 = h0.probs[r0] as number;
      for (let j = 0; j < h1.count; j++) {
        const r1 = h1.rankById[j] as number;
        const p01 = p0 * (h1.probs[r1] as number);
        const base = (r0 * k + r1) * k;
        for (let l = 0; l < h2.count; l++) {
          const r2 = h2.rankById[l] as number;
          cells.push(base + r2, p01 * (h2.probs[r2] as number));
        }
      }
    }
  }
  cells.rawMass = cells.sum();
}
