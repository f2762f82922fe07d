import { CoOccurrenceWeights } from '../dynamo/coOccurrenceMask.js';
import { HeadTopK } from '../dynamo/headTopK.js';
import { checkTablesVocabulary } from '../tables/checkTablesVocabulary.js';
import type { CoOccurrenceTables } from '../tables/coOccurrenceTables.js';
import { checkNextToken } from './checkNextToken.js';

/**
 * The DynaMo joint of the next tokens conditioned on an exact token x1, masked by co-occurrence:
 * J(x2, x3 | x1) ∝ p_2(x2) · p_3(x3) · w(x1, x2, x3) over the extra heads' top-k ({@link head1},
 * {@link head2}: the caller selects them), with w the co-occurrence weight and unseen n-grams masked
 * (never listed). The drafters' kernel (`dynamoDrafter` draws or takes the best of it,
 * `dynamoTreeDrafter` ranks candidates by it), kept sparse by walking only the n-grams the tables
 * have:
 *
 * - {@link listPairs}: the pairs (x1, x2) with x2 in head 1's top-k, in ascending x2 order —
 *   `pairRank` (x2's rank in head 1), `pairEntry` (the bigram entry), `pairValue` = p_2(x2) · w(x1, x2),
 *   their sum `pairSum` (in that order), and `pairOf[rank]`, the pair of x2 by rank (-1: unseen);
 * - {@link addTriples}: appends the triplets (x1, x2, x3) of one pair with x3 in head 2's top-k, in
 *   ascending x3 order — `tripleB`, `tripleC` (the ranks of x2 and x3), `tripleValue`.
 *
 * Buffers are allocated once per top-k size; nothing per draft.
 */
export class ConditionalJoint {
  readonly tables: CoOccurrenceTables;
  readonly weights: CoOccurrenceWeights;
  /** Top-k of the heads predicting x2 (head 1) and x3 (head 2). */
  readonly head1: HeadTopK;
  readonly head2: HeadTopK;
  pairs = 0;
  pairSum = 0;
  readonly pairRank: Int32Array;
  readonly pairEntry: Int32Array;
  readonly pairValue: Float64Array;
  readonly pairOf: Int32Array;
  triples = 0;
  readonly tripleB: Int32Array;
  readonly tripleC: Int32Array;
  readonly tripleValue: Float64Array;

  constructor(tables: CoOccurrenceTables, alpha: number, k: number) {
    this.tables = tables;
    this.weights = new CoOccurrenceWeights(tables, alpha);
    this.head1 = new HeadTopK(k, tables.vocabSize);
    this.head2 = new HeadTopK(k, tables.vocabSize);
    this.pairRank = new Int32Array(k);
    this.pairEntry = new Int32Array(k);
    this.pairValue = new Float64Array(k);
    this.pairOf = new Int32Array(k);
    this.tripleB = new Int32Array(k * k);
    this.tripleC = new Int32Array(k * k);
    this.tripleValue = new Float64Array(k * k);
  }

  /**
   * Checks a draft's input: the model's vocabulary is the tables' (DYNAMO_VOCAB_MISMATCH otherwise)
   * and `x1` a token of it (DYNAMO_TOKEN_OUT_OF_RANGE otherwise).
   */
  check(vocabSize: number, x1: number): void {
    checkTablesVocabulary(this.tables.vocabSize, vocabSize);
    checkNextToken(x1, vocabSize);
  }

  /** Lists the pairs (x1, x2) of head 1's current top-k, and clears the triplets. */
  listPairs(x1: number): void {
    const { tables, weights, head1: h1, pairRank, pairEntry, pairValue, pairOf } = this;
    const bOff = tables.bigramOffsets;
    const bIds = tables.bigramIds;
    pairOf.fill(-1, 0, h1.count);
    let pairs = 0;
    let sum = 0;
    for (let x = bOff[x1] as number, end = bOff[x1 + 1] as number; x < end; x++) {
      const rb = (h1.rank[bIds[x] as number] as number) - 1;
      if (rb < 0) continue;
      const v = (h1.probs[rb] as number) * weights.bigram(x1, x);
      pairRank[pairs] = rb;
      pairEntry[pairs] = x;
      pairValue[pairs] = v;
      pairOf[rb] = pairs++;
      sum += v;
    }
    this.pairs = pairs;
    this.pairSum = sum;
    this.triples = 0;
  }

  /**
   * Appends the triplets (x1, x2, x3) of pair `p` (x3 in head 2's current top-k) and returns how
   * many: values p_2(x2) · p_3(x3) · w(x1, x2, x3) with `joint`, else p_3(x3) · w(x1, x2, x3) (the
   * conditional of x3 given x2, unnormalised). None with tables of order 2.
   */
  addTriples(x1: number, p: number, joint: boolean): number {
    const { tables, weights, head2: h2, tripleB, tripleC, tripleValue } = this;
    const tOff = tables.trigramOffsets;
    const tIds = tables.trigramIds;
    if (tOff === undefined || tIds === undefined) return 0;
    const rb = this.pairRank[p] as number;
    const x = this.pairEntry[p] as number;
    const x2 = tables.bigramIds[x] as number;
    const pb = this.head1.probs[rb] as number;
    const start = this.triples;
    let t = start;
    for (let y = tOff[x] as number, end = tOff[x + 1] as number; y < end; y++) {
      const rc = (h2.rank[tIds[y] as number] as number) - 1;
      if (rc < 0) continue;
      const pc = h2.probs[rc] as number;
      tripleB[t] = rb;
      tripleC[t] = rc;
      tripleValue[t++] = (joint ? pb * pc : pc) * weights.trigram(x1, x2, y);
    }
    this.triples = t;
    return t - start;
  }
}
