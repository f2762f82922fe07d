import { argmax } from '../classic/argmax.js';
import { type BaseRows, checkDraftToken, RowReader, type VerifyOptions, type VerifyResult } from './verifyCommon.js';

function verifyGreedy(
  reader: RowReader,
  draft: ArrayLike<number>,
  rows: BaseRows,
  options: VerifyOptions,
  history: Int32Array | undefined,
  out: VerifyResult,
): VerifyResult {
  const m = draft.length;
  if (options.processors !== undefined) reader.setDraft(draft);
  let vocab: number | undefined;
  for (let i = 0; i <= m; i++) {
    const row = reader.row(rows, i, options, vocab, history);
    vocab = row.length;
    const base = argmax(row);
    if (i === m) {
      out.accepted = m;
      out.next = base;
      return out;
    }
    const d = draft[i] as number;
    checkDraftToken(d, i, row.length);
    if (d !== base) {
      out.accepted = i;
      out.next = base;
      return out;
    }
  }
  /* c8 ignore next */
  return out;
}

const sharedReader = new RowReader();

/**
 * Chain helper for greedy verification, for code that runs its own decode loop (lossless with
 * respect to greedy decoding of the base head after `options.processors`; `@dynamojs/generate`
 * verifies chains and trees with the core `Verifier` `matchVerifier(greedy())` instead).
 *
 * For i = 0, 1, …: the base token at draft position i is `argmax(processed row i)` (ties to the
 * lowest id). While `draft[i]` equals it, the draft is accepted; the first mismatch stops and the
 * base's token becomes `next` (a free extra token). If all m drafts are accepted, `next` is the
 * base's token from row m (the bonus). So `draft[0..accepted)`, `next` are exactly what greedy
 * decoding would have produced. Rows: see {@link BaseRows}; m drafts need m + 1 rows.
 *
 * `greedyVerify(draft, rows, { processors, history })`; returns `out` (default: a new
 * `{ accepted, next }`). Errors: DYNAMO_INVALID_LOGITS (a row missing, of the wrong length, NaN/Inf),
 * DYNAMO_SAMPLER (a drafted id outside the vocabulary; every token masked by the processors).
 */
export function greedyVerify(
  draft: ArrayLike<number>,
  rows: BaseRows,
  options: VerifyOptions = {},
  out: VerifyResult = { accepted: 0, next: 0 },
): VerifyResult {
  return verifyGreedy(sharedReader, draft, rows, options, options.history, out);
}
