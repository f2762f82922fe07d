import {
  checkInteger,
  checkNumber,
  checkTokenIds,
  DynamoError,
  DynamoErrorCode,
  type MultiTokenModel,
  throwIfAborted,
} from '@dynamojs/core';
import { logSoftmaxAt, maxProbability } from './logSoftmaxAt.js';
import { type MaskedJointOptions, MaskedJointScorer } from './maskedJoint.js';

export interface PerplexityOptions {
  /** Window length in tokens (default: the model's context length). */
  readonly window?: number;
  /** Tokens each window advances (default: half the window). Scored positions never repeat. */
  readonly stride?: number;
  /** eps_b values at which to report the dynamic perplexity PPL_d (default: none). */
  readonly epsilons?: readonly number[];
  /** Temperature applied to every head before the back-off test of PPL_d (default 1). */
  readonly temperature?: number;
  /**
   * Also report PPL_1:n under the co-occurrence-masked joint (renormalised over the per-head top-k
   * grid, with a floor for n-grams outside it; see MaskedJointScorer and docs/eval.md).
   */
  readonly masked?: MaskedJointOptions;
  readonly signal?: AbortSignal;
  /** Called after each window with the number of tokens scored so far and the total. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface DynamicPerplexity {
  readonly epsilon: number;
  readonly ppl: number;
  /** Mean tokens per step chosen by the back-off rule. */
  readonly tokensPerStep: number;
  /** Share of steps that emitted 1, 2, ..., heads tokens. */
  readonly emissionShare: readonly number[];
}

export interface PerplexityReport {
  readonly tokens: number;
  readonly heads: number;
  /** PPL_n for each head n = 1..heads (index 0 is PPL_1, the base model's perplexity). */
  readonly pplHead: readonly number[];
  /** PPL_1:n for n = 1..heads from the independent joint estimate (index 0 equals PPL_1). */
  readonly pplJoint: readonly number[];
  readonly dynamic: readonly DynamicPerplexity[];
  /**
   * With `masked`: PPL_1:n for n = 1..min(heads, table order) under the masked joint (index 0
   * equals PPL_1).
   */
  readonly pplJointMasked?: readonly number[];
  /** With `masked`: share of positions whose true n-gram is a surviving cell of the grid (index 0: 1). */
  readonly maskedCoverage?: readonly number[];
  /** With `masked`: the floor λ given to the independent joint (n-grams outside the grid). */
  readonly maskedFloor?: number;
}

/**
 * The paper's multi-token perplexities over a token stream, teacher-forced with the KV cache, in
 * sliding windows (a window of `window` tokens advanced by `stride`; positions scored once, each
 * with at least `window - stride` tokens of context except in the first window).
 *
 * - PPL_n = exp(-mean_t log p_n(x_{t+n} | x_{1..t}))
 * - PPL_1:n = exp(-(1/n) mean_t log prod_{i=1..n} p_i(x_{t+i} | x_{1..t}))
 * - PPL_d(eps): walk the text; at t choose the largest n whose best joint cell
 *   prod_i max p_i ≥ eps^(n-1) (the back-off rule on the unmasked joint), score the true next n
 *   tokens with the joint estimate, advance by n. PPL_d = exp(-sum log / tokens scored).
 */
export async function multiTokenPerplexity(
  model: MultiTokenModel,
  tokens: ArrayLike<number>,
  options: PerplexityOptions = {},
): Promise<PerplexityReport> {
  const { heads, vocabSize, contextLength } = model.metadata;
  checkTokenIds(tokens, vocabSize, 'text token');
  const window = checkInteger('window', options.window ?? contextLength, { min: 2, max: contextLength });
  const stride = checkInteger('stride', options.stride ?? Math.max(1, window >> 1), { min: 1, max: window });
  const temperature = checkNumber('temperature', options.temperature ?? 1, { min: 0, minExclusive: true });
  const epsilons = (options.epsilons ?? []).map((e, i) => checkNumber(`epsilons[${i}]`, e, { min: 0, max: 1 }));
  const n = tokens.length;
  if (n < heads + 1) {
    throw new DynamoError(DynamoErrorCode.INVALID_OPTION, `Perplexity needs at least ${heads + 1} tokens, got ${n}.`, {
      details: { option: 'tokens', actual: n },
    });
  }

  // logp[h][t] = log p_h(x_{t+1+h} | x_{0..t}); NaN where t+1+h ≥ n. bestLogp[h][t] = log max p_h.
  const logp = Array.from({ length: heads }, () => new Float64Array(n).fill(Number.NaN));
  const bestLogp = epsilons.length ? Array.from({ length: heads }, () => new Float64Array(n)) : [];

  const scorer = options.masked ? new MaskedJointScorer(options.masked, heads, vocabSize) : undefined;
  const maskedN = scorer?.maxN ?? 0;
  const maskedSum = new Float64Array(maskedN + 1);
  const maskedCount = new Float64Array(maskedN + 1);
  const maskedCovered = new Float64Array(maskedN + 1);
  const logq = new Float64Array(maskedN + 1);
  const covered = new Uint8Array(maskedN + 1);
  const logIndependent = new Float64Array(maskedN + 1);
  const rows: Float32Array[] = [];

  const ids = Int32Array.from(tokens as ArrayLike<number>);
  let scoredFrom = 0; // positions < scoredFrom already scored
  for (let begin = 0; ; begin += stride) {
    throwIfAborted(options.signal, 'perplexity run');
    const end = Math.min(n, begin + window);
    const cache = model.createCache();
    try {
      const result = await model.forward(ids.subarray(begin, end), cache, {
        positions: 'all',
        headPositions: heads > 1 ? 'all' : 'none',
        ...(options.signal && { signal: options.signal }),
      });
      for (let t = Math.max(scoredFrom, begin); t < end; t++) {
        for (let h = 0; h < heads; h++) {
          const target = t + 1 + h;
          if (target >= n) continue;
          const row = result.logits(h, t - begin);
          (logp[h] as Float64Array)[t] = logSoftmaxAt(row, ids[target] as number);
          if (epsilons.length) (bestLogp[h] as Float64Array)[t] = Math.log(maxProbability(row, temperature));
          if (scorer && h < maskedN) rows[h] = row;
        }
        const available = Math.min(maskedN, n - 1 - t);
        if (scorer && available >= 2) {
          rows.length = available;
          let acc = 0;
          for (let k = 1; k <= available; k++) {
            acc += (logp[k - 1] as Float64Array)[t] as number;
            logIndependent[k] = acc;
          }
          scorer.score(rows, ids.subarray(t + 1, t + 1 + available), logIndependent, logq, covered);
          for (let k = 2; k <= available; k++) {
            maskedSum[k] = (maskedSum[k] as number) + (logq[k] as number);
            maskedCount[k] = (maskedCount[k] as number) + 1;
            maskedCovered[k] = (maskedCovered[k] as number) + (covered[k] as number);
          }
        }
      }
      scoredFrom = end;
    } finally {
      cache.dispose();
    }
    options.onProgress?.(scoredFrom, n);
    if (end === n) break;
  }

  const pplHead: number[] = [];
  for (let h = 0; h < heads; h++) pplHead.push(Math.exp(-meanFinite(logp[h] as Float64Array)));

  const pplJoint: number[] = [];
  for (let k = 1; k <= heads; k++) {
    let sum = 0;
    let count = 0;
    for (let t = 0; t + k < n; t++) {
      let s = 0;
      for (let h = 0; h < k; h++) s += (logp[h] as Float64Array)[t] as number;
      if (Number.isFinite(s)) {
        sum += s;
        count++;
      }
    }
    pplJoint.push(Math.exp(-sum / count / k));
  }

  const dynamic = epsilons.map((epsilon) => dynamicPerplexity(epsilon, heads, n, logp, bestLogp));
  if (!scorer) return { tokens: n, heads, pplHead, pplJoint, dynamic };
  const pplJointMasked = [pplHead[0] as number];
  const maskedCoverage = [1];
  for (let k = 2; k <= maskedN; k++) {
    const count = maskedCount[k] as number;
    pplJointMasked.push(count ? Math.exp(-(maskedSum[k] as number) / count / k) : Number.NaN);
    maskedCoverage.push(count ? (maskedCovered[k] as number) / count : Number.NaN);
  }
  return { tokens: n, heads, pplHead, pplJoint, dynamic, pplJointMasked, maskedCoverage, maskedFloor: scorer.floor };
}

function dynamicPerplexity(
  epsilon: number,
  heads: number,
  n: number,
  logp: Float64Array[],
  bestLogp: Float64Array[],
): DynamicPerplexity {
  let sum = 0;
  let scored = 0;
  let steps = 0;
  const counts = new Array<number>(heads).fill(0);
  for (let t = 0; t < n - 1; ) {
    let emit = 1;
    for (let k = Math.min(heads, n - 1 - t); k > 1; k--) {
      let best = 0;
      for (let h = 0; h < k; h++) best += (bestLogp[h] as Float64Array)[t] as number;
      if (best >= (k - 1) * Math.log(epsilon)) {
        emit = k;
        break;
      }
    }
    for (let h = 0; h < emit; h++) sum += (logp[h] as Float64Array)[t] as number;
    scored += emit;
    steps++;
    counts[emit - 1] = (counts[emit - 1] as number) + 1;
    t += emit;
  }
  return {
    epsilon,
    ppl: Math.exp(-sum / scored),
    tokensPerStep: scored / steps,
    emissionShare: counts.map((c) => c / steps),
  };
}

function meanFinite(values: Float64Array): number {
  let sum = 0;
  let count = 0;
  for (const v of values) {
    if (Number.isFinite(v)) {
      sum += v;
      count++;
    }
  }
  return sum / count;
}
