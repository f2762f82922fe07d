import { checkInteger, checkNumber, DynamoError, DynamoErrorCode } from '@dynamojs/core';
import {
  type CoOccurrenceTables,
  CoOccurrenceWeights,
  coOccurrenceJoint,
  HeadTopK,
  JointCells,
  selectHeadTopK,
} from '@dynamojs/samplers';

/** Options of the co-occurrence-masked joint estimate used by PPL_1:n (masked). */
export interface MaskedJointOptions {
  /** Co-occurrence tables (samplers' loadCoOccurrenceTables) of the model's vocabulary. */
  readonly tables: CoOccurrenceTables;
  /** Tokens kept per head: the grid is k^n (default 50, as the sampler). */
  readonly topK?: number;
  /** Temperature of every head before top-k (default 1: the model's own estimate). */
  readonly temperature?: number;
  /** Weighting strength [p^(n-gram)/∏p^(token)]^alpha (default 1). */
  readonly alpha?: number;
  /**
   * Share λ of probability given to the unmasked, untruncated independent joint so that every
   * n-gram — including one outside the masked top-k grid — has a finite probability:
   * q = (1 − λ)·J_masked + λ·∏ p_i. Default 0.01. With λ = 0 an n-gram outside the grid has
   * probability 0 and PPL_1:n (masked) is Infinity.
   */
  readonly floor?: number;
}

/**
 * Scores true n-grams under the renormalised co-occurrence-masked joint over the per-head top-k
 * grid — the sampler's joint before thresholds: J(x) = ∏ p_i^k(x_i) · w(x) / Z, where p_i^k is head
 * i's top-k at the temperature, renormalised, w the co-occurrence weight (0 for an unseen n-gram)
 * and Z the sum over every surviving cell. The true n-gram is "covered" when it is a surviving cell
 * (every token in its head's top-k and the n-gram in the tables). The score mixes in the full
 * independent joint with weight `floor`, so uncovered n-grams stay finite (see docs/eval.md).
 * Buffers are allocated once; one instance per model.
 */
export class MaskedJointScorer {
  readonly maxN: number;
  readonly floor: number;
  private readonly topK: number;
  private readonly temperature: number;
  private readonly weights: CoOccurrenceWeights;
  private readonly heads: HeadTopK[];
  private readonly cells: JointCells[];

  constructor(options: MaskedJointOptions, modelHeads: number, vocabSize: number) {
    const tables = options.tables;
    if (tables === undefined || tables === null || typeof tables !== 'object') {
      throw new DynamoError(DynamoErrorCode.INVALID_OPTION, 'The masked joint needs co-occurrence tables.', {
        details: { option: 'tables' },
      });
    }
    if (tables.vocabSize !== vocabSize) {
      throw new DynamoError(
        DynamoErrorCode.VOCAB_MISMATCH,
        `Co-occurrence tables were built for a vocabulary of ${tables.vocabSize} tokens, the model has ${vocabSize}.`,
        { details: { field: 'vocabSize', expected: vocabSize, actual: tables.vocabSize } },
      );
    }
    this.topK = checkInteger('maskedTopK', options.topK ?? 50, { min: 1, max: 128 });
    this.temperature = checkNumber('maskedTemperature', options.temperature ?? 1, { min: 0, minExclusive: true });
    const alpha = checkNumber('alpha', options.alpha ?? 1, { min: 0 });
    this.floor = checkNumber('maskedFloor', options.floor ?? 0.01, { min: 0, max: 1 });
    this.maxN = Math.min(modelHeads, tables.order, 3);
    this.weights = new CoOccurrenceWeights(tables, alpha);
    this.heads = Array.from({ length: this.maxN }, () => new HeadTopK(this.topK, vocabSize));
    // cells[n] for n = 2..maxN
    this.cells = Array.from({ length: this.maxN + 1 }, (_, n) => new JointCells(this.topK, Math.max(1, n)));
  }

  /**
   * For n = 2..maxN: `logq[n]` = log q(x_{t+1..t+n}) and `covered[n]` = 1 when the true n-gram is a
   * surviving cell. `rows[h]` are head h's logits at position t, `truth` the next maxN tokens
   * (shorter near the end of the text: larger n are skipped), `logIndependent[n]` = log ∏_{i<n}
   * p_i(x_{t+1+i}) under the full softmax (T = 1).
   */
  score(
    rows: readonly Float32Array[],
    truth: ArrayLike<number>,
    logIndependent: ArrayLike<number>,
    logq: Float64Array,
    covered: Uint8Array,
  ): void {
    const maxN = Math.min(this.maxN, truth.length, rows.length);
    for (let h = 0; h < maxN; h++) {
      selectHeadTopK(rows[h] as Float32Array, this.topK, this.temperature, this.heads[h] as HeadTopK, h);
    }
    for (let n = 2; n <= maxN; n++) {
      const cells = this.cells[n] as JointCells;
      coOccurrenceJoint(this.heads, n as 2 | 3, this.weights, cells);
      // Grid index of the true n-gram (ranks in each head's top-k), -1 when a token is outside.
      let index = 0;
      for (let h = 0; h < n; h++) {
        const r = (this.heads[h] as HeadTopK).rank[truth[h] as number] as number;
        if (r === 0 || index < 0) {
          index = -1;
          continue;
        }
        index = index * cells.k + (r - 1);
      }
      let value = 0;
      if (index >= 0) {
        for (let c = 0; c < cells.size; c++) {
          if (cells.index[c] === index) {
            value = cells.value[c] as number;
            break;
          }
        }
      }
      const z = cells.size > 0 ? cells.sum() : 0;
      const j = z > 0 ? value / z : 0;
      const li = logIndependent[n] as number;
      const lambda = z > 0 ? this.floor : 1;
      covered[n] = value > 0 ? 1 : 0;
      if (j > 0 && lambda > 0) {
        // log((1-λ) j + λ e^li), stably
        const a = Math.log1p(-lambda) + Math.log(j);
        const b = Math.log(lambda) + li;
        const m = Math.max(a, b);
        logq[n] = m + Math.log(Math.exp(a - m) + Math.exp(b - m));
      } else if (j > 0) logq[n] = Math.log(j);
      else logq[n] = lambda > 0 ? Math.log(lambda) + li : Number.NEGATIVE_INFINITY;
    }
  }
}
