import {
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
import { CandidateTrie } from './candidateTrie.js';
import { ConditionalJoint } from './conditionalJoint.js';
import { DEFAULT_TREE_BUDGET } from './treeBudget.js';
import { addPromptLookup, extendWithTables, TreeSourceScratch } from './treeSources.js';

export interface DynamoTreeDrafterOptions {
  /** Co-occurrence tables (the joint's mask and weights, and the table levels). */
  readonly tables: CoOccurrenceTables;
  /** Most drafted nodes per pass (the tree's budget), integer ≥ 1. Default 8 (see {@link recommendedTreeBudget}). */
  readonly budget?: number;
  /** Candidates per position taken from each extra head (its top-k), integer ≥ 1. Default 8. */
  readonly width?: number;
  /** Temperature of the heads' distributions in the scores (> 0). Default 1. */
  readonly temperature?: number;
  /** Strength of the co-occurrence weighting, ≥ 0. Default 1. */
  readonly alpha?: number;
  /**
   * Share of a head's own distribution in a candidate's score, next to the co-occurrence-masked
   * conditional (so a continuation the tables never saw after the path keeps a chance), in [0, 1].
   * Default 0.25.
   */
  readonly headWeight?: number;
  /** Levels drafted from the n-gram tables alone below the extra heads' levels. Default 1. */
  readonly tableDepth?: number;
  /** Also propose what followed earlier occurrences of the last tokens (prompt lookup). Default true. */
  readonly promptLookup?: boolean;
  readonly name?: string;
}

const EMPTY: Draft = { tokens: new Int32Array(0) };
/** Per-token confidence of a prompt-lookup continuation by match length n (1, 2, 3+). */
const LOOKUP_CONFIDENCE = [0, 0.15, 0.35, 0.6];

/**
 * DynaMo candidate trees for lossless verified decoding. After the exact token x1 = `next`, the
 * extra heads' distributions and the co-occurrence tables give the masked joint of the next tokens
 * conditioned on x1 — the same estimate the DynaMo sampler draws from, here ranked instead of
 * sampled: each candidate node gets the estimated probability that its path is what the base
 * model writes,
 *
 * - x2 (depth 1): (1 − γ) · p₂(x2) w(x1, x2) / Z + γ · p₂(x2), over head 1's top `width`;
 * - x3 (depth 2) under x2: score(x2) · [(1 − γ) · p₃(x3) w(x1, x2, x3) / Z(x2) + γ · p₃(x3)];
 * - deeper levels from the n-gram tables alone (`tableDepth`), and prompt-lookup continuations;
 *
 * and the `budget` best nodes form the tree (a node's score is capped at its parent's, so the tree
 * is prefix-closed). Its shape follows the estimate step by step: a confident step gives a deep,
 * narrow tree, an unsure one a wide, shallow tree (as in EAGLE-2). Candidates are deterministic,
 * so verification treats them as point masses (lossless under match and speculative verification
 * alike). Allocates only the draft's views per call.
 */
export function dynamoTreeDrafter(options: DynamoTreeDrafterOptions): SyncDrafter {
  const tables = options.tables;
  if (tables === undefined || typeof tables.findBigram !== 'function') {
    throw new DynamoError(DynamoErrorCode.INVALID_OPTION, 'dynamoTreeDrafter needs co-occurrence `tables`.', {
      details: { option: 'tables' },
    });
  }
  const budget = checkInteger('budget', options.budget ?? DEFAULT_TREE_BUDGET, { min: 1, max: 4096 });
  const width = checkInteger('width', options.width ?? 8, { min: 1, max: 1024 });
  const temperature = checkNumber('temperature', options.temperature ?? 1, { min: 0, minExclusive: true });
  const alpha = checkNumber('alpha', options.alpha ?? 1, { min: 0 });
  const gamma = checkNumber('headWeight', options.headWeight ?? 0.25, { min: 0, max: 1 });
  const tableDepth = checkInteger('tableDepth', options.tableDepth ?? 1, { min: 0, max: 16 });
  const lookup = options.promptLookup ?? true;
  const joint = new ConditionalJoint(tables, alpha, width);
  const h1 = joint.head1;
  const h2 = joint.head2;
  const trie = new CandidateTrie();
  const scratch = new TreeSourceScratch();
  /** Joint values of the current x2's x3 candidates, by rank in head 2. */
  const tripleValue = new Float64Array(width);
  const depth2 = new Int32Array(width * width);
  const leaves = new Int32Array(width * width + width);

  return {
    name: options.name ?? 'dynamo-tree',
    draft(view: StepView, next: number): Draft {
      joint.check(view.vocabSize, next);
      const maxDepth = view.maxTokens - 1;
      if (maxDepth <= 0) return EMPTY;
      trie.reset();
      const history = view.history;
      let leafCount = 0;
      if (view.heads >= 2) {
        selectHeadTopK(view.logits(1), width, temperature, h1, 1);
        const useHead2 = view.heads >= 3 && maxDepth >= 2;
        if (useHead2) selectHeadTopK(view.logits(2), width, temperature, h2, 2);
        // Pairs (next, b) and triplets (next, b, c) that the tables have, with b, c in the heads' top-k.
        joint.listPairs(next);
        const pairSum = joint.pairSum;
        let count2 = 0;
        for (let rb = 0; rb < h1.count; rb++) {
          const p = h1.probs[rb] as number;
          const pair = joint.pairOf[rb] as number;
          const masked = pairSum > 0 ? (pair >= 0 ? (joint.pairValue[pair] as number) : 0) / pairSum : p;
          const node = trie.add(-1, h1.ids[rb] as number, (1 - gamma) * masked + gamma * p);
          if (!useHead2 || h2.count === 0) {
            leaves[leafCount++] = node;
            continue;
          }
          // x3 under (next, b): the triplets of pair (next, b), by rank of c.
          tripleValue.fill(0);
          let tripleSum = 0;
          const start = joint.triples;
          const end = pair >= 0 ? start + joint.addTriples(next, pair, false) : start;
          for (let t = start; t < end; t++) {
            const v = joint.tripleValue[t] as number;
            tripleValue[joint.tripleC[t] as number] = v;
            tripleSum += v;
          }
          const s = trie.scoreOf(node);
          for (let rc = 0; rc < h2.count; rc++) {
            const q = h2.probs[rc] as number;
            const masked = tripleSum > 0 ? (tripleValue[rc] as number) / tripleSum : q;
            depth2[count2++] = trie.add(node, h2.ids[rc] as number, s * ((1 - gamma) * masked + gamma * q));
          }
        }
        for (let i = 0; i < count2; i++) leaves[leafCount++] = depth2[i] as number;
      } else {
        leaves[leafCount++] = -1;
      }
      const levelsLeft = maxDepth - (view.heads >= 3 ? 2 : view.heads >= 2 ? 1 : 0);
      const extra = Math.min(tableDepth, levelsLeft);
      if (extra > 0) extendWithTables(trie, tables, leaves, leafCount, extra, 4, budget, history, scratch);
      if (lookup) {
        addPromptLookup(trie, history, {
          minNgram: 1,
          maxNgram: 3,
          length: Math.min(maxDepth, 8),
          maxMatches: 2,
          confidence: LOOKUP_CONFIDENCE,
        });
      }
      return trie.select(budget);
    },
  };
}
