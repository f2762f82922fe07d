import { DynamoError, DynamoErrorCode, type ForwardResult, type LogitsProcessor } from '@dynamojs/core';
import { checkLogits } from '../classic/checkLogits.js';
import { MutableProcessorContext } from '../classic/processorPipeline.js';
import { EMPTY_TOKENS, ensureFloat32 } from '../util/scratch.js';

/**
 * The base head's logits rows for a verification chunk: either a core `ForwardResult` (row i is
 * `result.logits(0, offset + i)`) or a function returning row i. Row i (0 ≤ i ≤ m) is the base
 * distribution for the token at draft position i — i.e. after the chunk's first token and
 * draft[0..i) — so m drafted tokens need m + 1 rows (the last one gives the bonus token).
 *
 * With a forward pass over the chunk `[next, d_1, …, d_m]` and `positions: 'all'`, pass the
 * result with offset 0.
 */
export type BaseRows = Pick<ForwardResult, 'logits'> | ((index: number) => Float32Array);

/** Outcome of a verification. Reused between calls when passed as `out`. */
export interface VerifyResult {
  /** How many drafted tokens were accepted (0 ≤ accepted ≤ m): they are `draft[0..accepted)`. */
  accepted: number;
  /**
   * The base model's own token after the accepted ones: the replacement of the first rejected
   * draft, or the bonus token when all m were accepted. Always emitted, so each verification emits
   * `accepted + 1` tokens: `draft[0..accepted)` then `next`.
   */
  next: number;
}

/** Options shared by both verifiers. */
export interface VerifyOptions {
  /**
   * The processors the autoregressive baseline applies to head 0 (e.g. `sampler.processors` of a
   * `greedy()`/`sampling()` sampler). Verification is lossless with respect to that baseline only
   * when the same processors are used. Run with context `{ head: 0, history, pending: draft[0..i) }`.
   */
  readonly processors?: LogitsProcessor;
  /**
   * Every token before draft[0] (prompt, generated, and the chunk's first token). Needed by
   * history-dependent processors (repetition penalty, no-repeat-n-gram). Default: empty.
   */
  readonly history?: Int32Array;
  /** Index of row 0 within a `ForwardResult` (default 0). Ignored for a row function. */
  readonly offset?: number;
  /** Check every row for NaN/Inf (DYNAMO_INVALID_LOGITS). Default true. */
  readonly check?: boolean;
}

/**
 * Internal: reads, checks and processes base rows with reused buffers. One instance per verifier.
 */
export class RowReader {
  private scratch: Float32Array | undefined;
  private pendingBuffer = new Int32Array(8);
  private pendingViews: Int32Array[] = [];
  private readonly context = new MutableProcessorContext();

  /** Copies the drafted tokens so that `pending(i)` can return draft[0..i) without allocating. */
  setDraft(tokens: ArrayLike<number>): void {
    const m = tokens.length;
    if (this.pendingBuffer.length < m) {
      this.pendingBuffer = new Int32Array(Math.max(m, this.pendingBuffer.length * 2));
      this.pendingViews = [];
    }
    for (let i = 0; i < m; i++) this.pendingBuffer[i] = tokens[i] as number;
  }

  private pending(i: number): Int32Array {
    let v = this.pendingViews[i];
    if (v === undefined) {
      for (let j = this.pendingViews.length; j <= i; j++) this.pendingViews[j] = this.pendingBuffer.subarray(0, j);
      v = this.pendingViews[i] as Int32Array;
    }
    return v;
  }

  /** Row i, checked and processed (a scratch copy when processors are given; else the raw row). */
  row(
    rows: BaseRows,
    i: number,
    options: VerifyOptions,
    vocabSize: number | undefined,
    history: Int32Array | undefined,
  ): Float32Array {
    const offset = options.offset ?? 0;
    let raw: Float32Array;
    try {
      raw = typeof rows === 'function' ? rows(i) : rows.logits(0, offset + i);
    } catch (cause) {
      if ((cause as { name?: unknown }).name === 'DynamoError') throw cause;
      throw new DynamoError(
        DynamoErrorCode.INVALID_LOGITS,
        `Verification needs base logits for chunk row ${offset + i}, which the forward result does not have (${(cause as Error).message}).`,
        { details: { head: 0, position: offset + i }, cause },
      );
    }
    if (raw === undefined || raw === null || typeof raw.length !== 'number') {
      throw new DynamoError(
        DynamoErrorCode.INVALID_LOGITS,
        `Verification: no base logits for chunk row ${offset + i}.`,
        {
          details: { head: 0, position: offset + i },
        },
      );
    }
    if (options.check ?? true) checkLogits(raw, 0, vocabSize, offset + i);
    const processors = options.processors;
    if (processors === undefined) return raw;
    const buf = (this.scratch = ensureFloat32(this.scratch, raw.length));
    buf.set(raw);
    processors.process(buf, this.context.set(0, history ?? options.history ?? EMPTY_TOKENS, this.pending(i)));
    return buf;
  }
}

/** Throws DYNAMO_SAMPLER unless `token` is an integer id in [0, vocabSize). */
export function checkDraftToken(token: number, i: number, vocabSize: number): void {
  if (!Number.isInteger(token) || token < 0 || token >= vocabSize) {
    throw new DynamoError(
      DynamoErrorCode.SAMPLER,
      `Drafted token ${String(token)} at draft index ${i} is outside the vocabulary [0, ${vocabSize}).`,
      { details: { index: i, actual: token, expected: `[0, ${vocabSize})` } },
    );
  }
}
