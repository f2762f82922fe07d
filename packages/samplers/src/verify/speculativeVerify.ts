import { type Draft, DynamoError, DynamoErrorCode, type Rng } from '@dynamojs/core';
import { multinomial } from '../classic/multinomial.js';
import { softmax } from '../classic/softmax.js';
import { ensureFloat32 } from '../util/scratch.js';
import { type BaseRows, checkDraftToken, RowReader, type VerifyOptions, type VerifyResult } from './verifyCommon.js';

/**
 * Speculative-sampling verification (Leviathan et al. 2023; Chen et al. 2023): lossless with
 * respect to sampling from the base head after `options.processors`.
 *
 * For i = 0, 1, …: p = softmax(processed row i), q = the distribution draft i was drawn from.
 * Draft d = draft[i] is accepted with probability min(1, p(d) / q(d)); on the first rejection,
 * `next` is drawn from normalise(max(0, p − q)) and verification stops. If all m drafts are
 * accepted, `next` is drawn from p of row m (the bonus). The emitted tokens `draft[0..accepted)`,
 * `next` then have exactly the base model's (processed) distribution, whatever q was.
 *
 * q: `draft.distribution(i)` (length vocabSize) when given; otherwise the draft is deterministic
 * and q is a point mass on d (accept with probability p(d); on rejection draw from p with d
 * removed). A draft with `probability` but no `distribution` cannot be verified exactly →
 * DYNAMO_SAMPLER, as is q(d) = 0 for a drafted d.
 *
 * Random numbers come from `rng` (the step's seeded `view.rng` for reproducible runs).
 * Allocates nothing per call after the first (pass `out` to reuse the result object too).
 */
export class SpeculativeVerifier {
  private readonly reader = new RowReader();
  private readonly result: VerifyResult = { accepted: 0, next: 0 };
  private readonly options: VerifyOptions;
  private p: Float32Array | undefined;

  constructor(options: VerifyOptions = {}) {
    this.options = options;
  }

  verify(
    draft: Draft | ArrayLike<number>,
    rows: BaseRows,
    rng: Rng,
    history?: Int32Array,
    out: VerifyResult = this.result,
  ): VerifyResult {
    return this.run(draft, rows, rng, this.options, history, out);
  }

  /** @internal */
  run(
    draft: Draft | ArrayLike<number>,
    rows: BaseRows,
    rng: Rng,
    options: VerifyOptions,
    history: Int32Array | undefined,
    out: VerifyResult,
  ): VerifyResult {
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
    if (options.processors !== undefined) this.reader.setDraft(tokens);
    let vocab: number | undefined;
    for (let i = 0; i <= m; i++) {
      const row = this.reader.row(rows, i, options, vocab, history);
      const n = (vocab = row.length);
      const p = (this.p = ensureFloat32(this.p, n));
      softmax(row, p);
      if (i === m) {
        out.accepted = m;
        out.next = multinomial(p, rng);
        return out;
      }
      const d = tokens[i] as number;
      checkDraftToken(d, i, n);
      const pd = p[d] as number;
      if (distribution === undefined) {
        // Point mass q = δ_d: accept with probability p(d).
        if (pd >= 1 || rng.next() < pd) continue;
        p[d] = 0;
        out.accepted = i;
        out.next = residualOrBase(p, row, rng, sumOf(p));
        return out;
      }
      const q = distribution(i);
      if (q.length !== n) {
        throw new DynamoError(
          DynamoErrorCode.SAMPLER,
          `speculativeVerify: drafting distribution ${i} has length ${q.length}, expected the vocabulary size ${n}.`,
          { details: { index: i, expected: n, actual: q.length } },
        );
      }
      const qd = q[d] as number;
      if (!(qd > 0)) {
        throw new DynamoError(
          DynamoErrorCode.SAMPLER,
          `speculativeVerify: drafted token ${d} at draft index ${i} has drafting probability ${String(qd)}; it cannot have been drawn.`,
          { details: { index: i, actual: qd } },
        );
      }
      if (pd >= qd || rng.next() * qd < pd) continue;
      out.accepted = i;
      out.next = residualOrBase(p, row, rng, residualInto(p, q));
      return out;
    }
    /* c8 ignore next */
    return out;
  }
}

/**
 * Draws from the residual in `p` (already written, total `mass`); when round-off left no residual
 * mass (p and q equal to float precision, where rejection has probability ~0), draws from the base
 * distribution instead.
 */
function residualOrBase(p: Float32Array, row: Float32Array, rng: Rng, mass: number): number {
  if (mass > 1e-12) return multinomial(p, rng, mass);
  softmax(row, p);
  return multinomial(p, rng);
}

/** p ← max(0, p − q) in place; returns its sum. A leaf loop (see argmax.ts). */
function residualInto(p: Float32Array, q: ArrayLike<number>): number {
  let mass = 0;
  for (let j = 0; j < p.length; j++) {
    const w = Math.max((p[j] as number) - (q[j] as number), 0);
    p[j] = w;
    mass += w;
  }
  return mass;
}

function isArrayLike(x: Draft | ArrayLike<number>): x is ArrayLike<number> {
  return typeof (x as ArrayLike<number>).length === 'number' && (x as Partial<Draft>).tokens === undefined;
}

const shared = new SpeculativeVerifier();

export interface SpeculativeVerifyOptions extends VerifyOptions {
  /** The random source (e.g. the step's `view.rng`). Required. */
  readonly rng: Rng;
}

/**
 * Functional form of {@link SpeculativeVerifier.verify}:
 * `speculativeVerify(draft, result, { rng, processors, history })`. Returns `out` (default: a new
 * `{ accepted, next }`). Scratch buffers are shared module-wide, so nothing but `out` is allocated.
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
  return shared.run(draft, rows, options.rng, options, undefined, out);
}

/** Sum of a row. A leaf loop (see argmax.ts). */
function sumOf(p: Float32Array): number {
  let sum = 0;
  for (let j = 0; j < p.length; j++) sum += p[j] as number;
  return sum;
}
