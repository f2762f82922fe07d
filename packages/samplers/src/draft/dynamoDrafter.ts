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
import { CoOccurrenceWeights } from '../dynamo/coOccurrenceMask.js';
import { HeadTopK, selectHeadTopK } from '../dynamo/headTopK.js';
import { checkTablesVocabulary } from '../tables/checkTablesVocabulary.js';
import type { CoOccurrenceTables } from '../tables/coOccurrenceTables.js';
import { checkNextToken } from './checkNextToken.js';

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
  const weights = new CoOccurrenceWeights(tables, alpha);
  const h1 = new HeadTopK(topK, tables.vocabSize);
  const h2 = new HeadTopK(topK, tables.vocabSize);
  // Cells of the conditional joint: rank of x2, rank of x3 (-1 for pair cells), value.
  const cellB = new Int32Array(topK * topK + topK);
  const cellC = new Int32Array(topK * topK + topK);
  const cellV = new Float64Array(topK * topK + topK);
  const marginal = new Float64Array(topK);
  const outs = [new Int32Array(0), new Int32Array(1), new Int32Array(2)];

  return {
    name: options.name ?? 'dynamo-drafter',
    draft(view: StepView, next: number): Draft {
      const V = view.vocabSize;
      checkTablesVocabulary(tables.vocabSize, V);
      checkNextToken(next, V);
      const limit = Math.min(maxDraft, view.heads - 1, view.maxTokens - 1, tables.order - 1);
      if (limit <= 0) return EMPTY;
      selectHeadTopK(view.logits(1), topK, temperature, h1, 1);
      if (h1.count === 0) return EMPTY;
      const useTriplets = limit >= 2;
      if (useTriplets) selectHeadTopK(view.logits(2), topK, temperature, h2, 2);
      const bOff = tables.bigramOffsets;
      const bIds = tables.bigramIds;
      let pairs = 0;
      let triples = 0;
      // Pass 1: pairs (next, b) that exist, with b in head 1's top-k; their triplets.
      for (let x = bOff[next] as number, end = bOff[next + 1] as number; x < end; x++) {
        const b = bIds[x] as number;
        const rb = h1.rank[b] as number;
        if (rb === 0) continue;
        const pb = h1.probs[rb - 1] as number;
        if (useTriplets && h2.count > 0) {
          const tOff = tables.trigramOffsets as Uint32Array;
          const tIds = tables.trigramIds as ArrayLike<number>;
          for (let y = tOff[x] as number, e2 = tOff[x + 1] as number; y < e2; y++) {
            const rc = h2.rank[tIds[y] as number] as number;
            if (rc === 0) continue;
            // Triplets go first in the cell arrays; pairs are stored from the end.
            cellB[triples] = rb - 1;
            cellC[triples] = rc - 1;
            cellV[triples] = pb * (h2.probs[rc - 1] as number) * weights.trigram(next, b, y);
            triples++;
          }
        }
        const at = cellB.length - 1 - pairs;
        cellB[at] = rb - 1;
        cellC[at] = -1;
        cellV[at] = pb * weights.bigram(next, x);
        pairs++;
      }
      if (triples > 0) return draftTriples(view, triples);
      if (pairs > 0) return draftPairs(view, pairs);
      return EMPTY;
    },
  };

  function draftTriples(view: StepView, count: number): Draft {
    const out = outs[2] as Int32Array;
    let best = 0;
    let total = 0;
    for (let i = 0; i < count; i++) {
      total += cellV[i] as number;
      if ((cellV[i] as number) > (cellV[best] as number)) best = i;
    }
    if (mode === 'argmax' || !(total > 0)) {
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
    let x = view.rng.next() * total;
    let rb = -1;
    for (let r = 0; r < h1.count; r++) {
      if ((marginal[r] as number) > 0) {
        rb = r;
        x -= marginal[r] as number;
        if (x < 0) break;
      }
    }
    const mb = marginal[rb] as number;
    let y = view.rng.next() * mb;
    let chosen = -1;
    for (let i = 0; i < count; i++) {
      if (cellB[i] !== rb || !((cellV[i] as number) > 0)) continue;
      chosen = i;
      y -= cellV[i] as number;
      if (y < 0) break;
    }
    const b = h1.ids[rb] as number;
    const c = h2.ids[cellC[chosen] as number] as number;
    out[0] = b;
    out[1] = c;
    const q0 = mb / total;
    const q1 = (cellV[chosen] as number) / mb;
    // Snapshot what the distributions need: the buffers are reused by the next draft.
    const margIds: number[] = [];
    const margQ: number[] = [];
    for (let r = 0; r < h1.count; r++) {
      if ((marginal[r] as number) > 0) {
        margIds.push(h1.ids[r] as number);
        margQ.push((marginal[r] as number) / total);
      }
    }
    const condIds: number[] = [];
    const condQ: number[] = [];
    for (let i = 0; i < count; i++) {
      if (cellB[i] === rb && (cellV[i] as number) > 0) {
        condIds.push(h2.ids[cellC[i] as number] as number);
        condQ.push((cellV[i] as number) / mb);
      }
    }
    const V = view.vocabSize;
    return {
      tokens: out,
      probability: (i) => (i === 0 ? q0 : q1),
      distribution: (i) => dense(V, i === 0 ? margIds : condIds, i === 0 ? margQ : condQ),
    };
  }

  function draftPairs(view: StepView, count: number): Draft {
    const out = outs[1] as Int32Array;
    // Pairs are stored from the end of the cell arrays in visiting (ascending id) order.
    const last = cellB.length - 1;
    const first = last - count + 1;
    let best = last;
    let total = 0;
    for (let i = last; i >= first; i--) {
      total += cellV[i] as number;
      if ((cellV[i] as number) > (cellV[best] as number)) best = i;
    }
    if (mode === 'argmax' || !(total > 0)) {
      out[0] = h1.ids[cellB[best] as number] as number;
      return { tokens: out };
    }
    let x = view.rng.next() * total;
    let chosen = -1;
    for (let i = last; i >= first; i--) {
      if (!((cellV[i] as number) > 0)) continue;
      chosen = i;
      x -= cellV[i] as number;
      if (x < 0) break;
    }
    out[0] = h1.ids[cellB[chosen] as number] as number;
    const q0 = (cellV[chosen] as number) / total;
    const ids: number[] = [];
    const qs: number[] = [];
    for (let i = last; i >= first; i--) {
      if ((cellV[i] as number) > 0) {
        ids.push(h1.ids[cellB[i] as number] as number);
        qs.push((cellV[i] as number) / total);
      }
    }
    const V = view.vocabSize;
    return { tokens: out, probability: () => q0, distribution: () => dense(V, ids, qs) };
  }
}

function dense(V: number, ids: readonly number[], qs: readonly number[]): Float32Array {
  const d = new Float32Array(V);
  for (let i = 0; i < ids.length; i++) d[ids[i] as number] = qs[i] as number;
  return d;
}
