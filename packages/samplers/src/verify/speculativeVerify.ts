import { type Draft, type DraftCandidates, DynamoError, DynamoErrorCode, type Rng } from '@dynamojs/core';
import { softmax } from '../classic/softmax.js';
import { ensureFloat32 } from '../util/scratch.js';
import { RejectionSampler } from './rejectionSampling.js';
import { type BaseRows, checkDraftToken, RowReader, type VerifyOptions, type VerifyResult } from './verifyCommon.js';

/** One chain position as DraftCandidates: one candidate (or none, for the bonus row). */
class ChainPosition implements DraftCandidates {
  count = 0;
  tokenId = 0;
  q: ArrayLike<number> | undefined = undefined;
  token(): number {
    return this.tokenId;
  }
  proposal(): ArrayLike<number> | undefined {
    return this.q;
  }
}

/**
 * Chain helper over the speculative acceptance rule (Leviathan et al. 2023; Chen et al. 2023), for
 * code that runs its own decode loop: lossless with respect to sampling from the base head after
 * `options.processors`. (`@dynamojs/generate` verifies chains and trees with the core `Verifier`
 * `speculativeVerifier()`; both use the same {@link RejectionSampler}.)
 *
 * For i = 0, 1, …: p = softmax(processed row i), q = the distribution draft i was drawn from
 * (`draft.distribution(i)`; a point mass on the drafted token when the draft has none). Draft d is
 * accepted with probability min(1, p(d) / q(d)); on the first rejection `next` is drawn from
 * normalise(max(0, p − q)) and verification stops. If all m drafts are accepted, `next` is drawn
 * from row m (the bonus). The emitted `draft[0..accepted)`, `next` have exactly the base model's
 * (processed) distribution, whatever q was. A draft with `probability` but no `distribution`
 * cannot be verified exactly → DYNAMO_SAMPLER, as is q(d) = 0 for a drafted d.
 *
 * `speculativeVerify(draft, rows, { rng, processors, history })`; returns `out` (default: a new
 * `{ accepted, next }`). Scratch buffers are shared module-wide.
 */
export function speculativeVerify(
  draft: Draft | ArrayLike<number>,
  rows: BaseRows,
  options: SpeculativeVerifyOptions,
  out: VerifyResult = { accepted: 0, next: 0 },
): VerifyResult {
  if (options === undefined || options.rng === undefined || typeof options.rng.next !== 'function') {
    throw new DynamoError(DynamoErrorCode.INVALID_OPTION, 'speculativeVerify: option "rng" (an Rng) is required.', {
      details: { option: 'rng' },
    });
  }
  const isDraft = !isArrayLike(draft);
  const tokens = isDraft ? (draft as Draft).tokens : (draft as ArrayLike<number>);
  const distribution = isDraft ? (draft as Draft).distribution : undefined;
  if (isDraft && distribution === undefined && (draft as Draft).probability !== undefined) {
    throw new DynamoError(
      DynamoErrorCode.SAMPLER,
      'speculativeVerify: the draft gives `probability` but not `distribution`; the rejection step needs the whole drafting distribution q (omit both for a deterministic draft).',
    );
  }
  const m = tokens.length;
  if (options.processors !== undefined) reader.setDraft(tokens);
  let vocab: number | undefined;
  for (let i = 0; i <= m; i++) {
    const row = reader.row(rows, i, options, vocab, options.history);
    const n = (vocab = row.length);
    const p = (scratch = ensureFloat32(scratch, n));
    softmax(row, p);
    position.count = i < m ? 1 : 0;
    if (i < m) {
      const d = tokens[i] as number;
      checkDraftToken(d, i, n);
      position.tokenId = d;
      position.q = distribution?.(i);
    }
    if (rejection.run(p, position, options.rng, drawn) === 0) continue;
    out.accepted = i;
    out.next = drawn[0] as number;
    return out;
  }
  /* c8 ignore next */
  return out;
}

const reader = new RowReader();
const rejection = new RejectionSampler();
const position = new ChainPosition();
const drawn = new Int32Array(1);
let scratch: Float32Array | undefined;

function isArrayLike(x: Draft | ArrayLike<number>): x is ArrayLike<number> {
  return typeof (x as ArrayLike<number>).length === 'number' && (x as Partial<Draft>).tokens === undefined;
}

export interface SpeculativeVerifyOptions extends VerifyOptions {
  /** The random source (e.g. the step's `view.rng`). Required. */
  readonly rng: Rng;
}
