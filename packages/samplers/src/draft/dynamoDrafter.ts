import {
  checkEnum,
  checkInteger,
  checkNumber,
  type Draft,
  DynamoError,
  DynamoErrorCode,
  type StepView,
  type SyncDrafter,
} from '@dynamojs/core';
import { selectHeadTopK } from '../dynamo/headTopK.js';
import type { CoOccurrenceTables } from '../tables/coOccurrenceTables.js';
import { ConditionalJoint } from './conditionalJoint.js';

export interface DynamoDrafterOptions {
  /** Co-occurrence tables (required: the drafter's point is the mask). */
  readonly tables: CoOccurrenceTables;
  /** Default 50. */
  readonly topK?: number;
  /** Default 0.7 (used for 'sample'; 'argmax' does not depend on it). */
  readonly temperature?: number;
  /** Default 1. */
  readonly alpha?: number;
  /**
   * 'argmax' (default): the most probable (x2, x3) of the masked joint — a deterministic draft, for
   * greedy verification or as a point mass for sampling verification. 'sample': x2 from the
   * joint's marginal, x3 from its conditional given x2, with q reported for speculative sampling.
   */
  readonly mode?: 'argmax' | 'sample';
  /** Most tokens drafted (also ≤ view.heads − 1, view.maxTokens − 1 and table order − 1). Default 2. */
  readonly maxDraft?: number;
  readonly name?: string;
}

const EMPTY: Draft = { tokens: new Int32Array(0) };

/**
 * Drafts (x2, x3) for verified (lossless) decoding from the DynaMo joint conditioned on the exact
 * next token x1 = `next`: J(x2, x3 | x1) ∝ p_2(x2) · p_3(x3) · w(x1, x2, x3), with w the
 * co-occurrence weight and unseen triplets masked. When no triplet survives it drafts x2 alone
 * from p_2(x2) · w(x1, x2); when no pair survives either, nothing (the mask says no continuation
 * of x1 among the heads' top-k was ever seen, so a draft would most likely be rejected).
 * No thresholds or back-off: verification keeps quality, drafting more only costs a longer chunk.
 */
export function dynamoDrafter(options: DynamoDrafterOptions): SyncDrafter {
  const tables = options.tables;
  if (tables === undefined) {
    throw new DynamoError(DynamoErrorCode.INVALID_OPTION, 'dynamoDrafter needs co-occurrence `tables`.', {
      details: { option: 'tables' },
    });
  }
  const topK = checkInteger('topK', options.topK ?? 50, { min: 1, max: 1024 });
  const temperature = checkNumber('temperature', options.temperature ?? 0.7, { min: 0, minExclusive: true });
  const alpha = checkNumber('alpha', options.alpha ?? 1, { min: 0 });
  const mode = checkEnum('mode', options.mode ?? 'argmax', ['argmax', 'sample']);
  const maxDraft = checkInteger('maxDraft', options.maxDraft ?? 2, { min: 0, max: 2 });
  const joint = new ConditionalJoint(tables, alpha, topK);
  const h1 = joint.head1;
  const h2 = joint.head2;
  const marginal = new Float64Array(topK);
  const outs = [new Int32Array(0), new Int32Array(1), new Int32Array(2)];

  return {
    name: options.name ?? 'dynamo-drafter',
    draft(view: StepView, next: number): Draft {
      joint.check(view.vocabSize, next);
      const limit = Math.min(maxDraft, view.heads - 1, view.maxTokens - 1, tables.order - 1);
      if (limit <= 0) return EMPTY;
      selectHeadTopK(view.logits(1), topK, temperature, h1, 1);
      if (h1.count === 0) return EMPTY;
      const useTriplets = limit >= 2;
      if (useTriplets) selectHeadTopK(view.logits(2), topK, temperature, h2, 2);
      // The pairs (next, b) that exist, with b in head 1's top-k; their triplets.
      joint.listPairs(next);
      if (useTriplets && h2.count > 0) for (let p = 0; p < joint.pairs; p++) joint.addTriples(next, p, true);
      if (joint.triples > 0) return draftTriples(view, joint.triples);
      if (joint.pairs > 0) return draftPairs(view, joint.pairs);
      return EMPTY;
    },
  };

  function draftTriples(view: StepView, count: number): Draft {
    const out = outs[2] as Int32Array;
    // The triplet cells: ranks of x2 and x3, value.
    const cellB = joint.tripleB;
    const cellC = joint.tripleC;
    const cellV = joint.tripleValue;
    let total = 0;
    for (let i = 0; i < count; i++) total += cellV[i] as number;
    if (mode === 'argmax' || !(total > 0)) {
      const best = bestCell(cellV, count);
      out[0] = h1.ids[cellB[best] as number] as number;
      out[1] = h2.ids[cellC[best] as number] as number;
      return { tokens: out };
    }
    marginal.fill(0);
    for (let i = 0; i < count; i++) {
      const rb = cellB[i] as number;
      marginal[rb] = (marginal[rb] as number) + (cellV[i] as number);
    }
    // x2 from the marginal (rank order), then x3 from the conditional.
    const rb = drawCellIndex(marginal, h1.count, view.rng.next() * total);
    const mb = marginal[rb] as number;
    const chosen = drawCellIndex(cellV, count, view.rng.next() * mb, cellB, rb);
    out[0] = h1.ids[rb] as number;
    out[1] = h2.ids[cellC[chosen] as number] as number;
    const q0 = mb / total;
    const q1 = (cellV[chosen] as number) / mb;
    // Snapshot what the distributions need: the buffers are reused by the next draft.
    const marg = sparseCells(marginal, h1.count, total, h1.ids);
    const cond = sparseCells(cellV, count, mb, h2.ids, cellC, cellB, rb);
    const V = view.vocabSize;
    return {
      tokens: out,
      probability: (i) => (i === 0 ? q0 : q1),
      distribution: (i) => dense(V, i === 0 ? marg : cond),
    };
  }

  function draftPairs(view: StepView, count: number): Draft {
    const out = outs[1] as Int32Array;
    // The pair cells, in visiting (ascending id) order: rank of x2, value.
    const cellB = joint.pairRank;
    const cellV = joint.pairValue;
    const total = joint.pairSum;
    if (mode === 'argmax' || !(total > 0)) {
      out[0] = h1.ids[cellB[bestCell(cellV, count)] as number] as number;
      return { tokens: out };
    }
    const chosen = drawCellIndex(cellV, count, view.rng.next() * total);
    out[0] = h1.ids[cellB[chosen] as number] as number;
    const q0 = (cellV[chosen] as number) / total;
    const q = sparseCells(cellV, count, total, h1.ids, cellB);
    const V = view.vocabSize;
    return { tokens: out, probability: () => q0, distribution: () => dense(V, q) };
  }
}

/** The first cell of `values[0..count)` with the largest value. */
function bestCell(values: Float64Array, count: number): number {
  let best = 0;
  for (let i = 0; i < count; i++) if ((values[i] as number) > (values[best] as number)) best = i;
  return best;
}

/**
 * Inverse-CDF draw over the positive cells of `values[0..count)` (only those with `keys[i] === key`
 * when `keys` is given): the cell where `x` (a uniform times their total) falls, the last of them
 * when rounding overshoots, -1 when there is none.
 */
function drawCellIndex(values: Float64Array, count: number, x: number, keys?: Int32Array, key = -1): number {
  let chosen = -1;
  for (let i = 0; i < count; i++) {
    const v = values[i] as number;
    if (!(v > 0) || (keys !== undefined && keys[i] !== key)) continue;
    chosen = i;
    x -= v;
    if (x < 0) break;
  }
  return chosen;
}

/** A sparse distribution: token ids and their probabilities. */
interface SparseCells {
  readonly ids: number[];
  readonly q: number[];
}

/**
 * The cells {@link drawCellIndex} draws from, as tokens and probabilities: cell i is token
 * `ids[ranks[i]]` (`ids[i]` without `ranks`) with probability `values[i] / total`.
 */
function sparseCells(
  values: Float64Array,
  count: number,
  total: number,
  ids: Int32Array,
  ranks?: Int32Array,
  keys?: Int32Array,
  key = -1,
): SparseCells {
  const out: SparseCells = { ids: [], q: [] };
  for (let i = 0; i < count; i++) {
    const v = values[i] as number;
    if (!(v > 0) || (keys !== undefined && keys[i] !== key)) continue;
    out.ids.push(ids[ranks === undefined ? i : (ranks[i] as number)] as number);
    out.q.push(v / total);
  }
  return out;
}

function dense(V: number, cells: SparseCells): Float32Array {
  const d = new Float32Array(V);
  for (let i = 0; i < cells.ids.length; i++) d[cells.ids[i] as number] = cells.q[i] as number;
  return d;
}
