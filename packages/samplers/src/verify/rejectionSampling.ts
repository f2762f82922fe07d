import { type DraftCandidates, DynamoError, DynamoErrorCode, type Rng } from '@dynamojs/core';
import { multinomial } from '../classic/multinomial.js';
import { ensureFloat32 } from '../util/scratch.js';

/**
 * Multi-draft speculative sampling at one position — recursive rejection sampling over the
 * candidates, in order (SpecInfer's multi-step speculative sampling; Jeon et al.'s recursive
 * speculative decoding). With p the target distribution:
 *
 * for each candidate i with token d and proposal q_i (the distribution it was drawn from, given the
 * candidates before it; a point mass on d when undefined): accept d with probability
 * min(1, p(d) / q_i(d)); on rejection p ← normalise(max(0, p − q_i)) and go on. When every candidate
 * is rejected (or there is none), the token is drawn from the final p.
 *
 * The emitted token has exactly the target distribution whatever the proposals were, provided each
 * candidate really was drawn from its reported proposal (i.i.d. draws report the same q every time;
 * draws without replacement report q renormalised without the earlier candidates; deterministic
 * candidates — argmax, best cells — report nothing). This is the one implementation of the
 * acceptance rule: the chain helper `speculativeVerify` and the core `Verifier`
 * `speculativeVerifier()` both call it.
 */
export class RejectionSampler {
  private original: Float32Array | undefined;

  /**
   * `p`: the target distribution (length V, summing to 1); it is overwritten with the residual.
   * Returns the index of the accepted candidate, or -1 with the drawn token in `out[0]`.
   * Throws DYNAMO_SAMPLER for a candidate outside the vocabulary or with proposal probability 0
   * (it cannot have been drawn), or a proposal of the wrong length.
   */
  run(p: Float32Array, candidates: DraftCandidates, rng: Rng, out: Int32Array): number {
    const V = p.length;
    const count = candidates.count;
    if (count === 0) {
      out[0] = multinomial(p, rng, 1);
      return -1;
    }
    const original = (this.original = ensureFloat32(this.original, V));
    original.set(p);
    let mass = 1;
    for (let i = 0; i < count; i++) {
      const d = candidates.token(i);
      if (!Number.isInteger(d) || d < 0 || d >= V) {
        throw new DynamoError(
          DynamoErrorCode.SAMPLER,
          `Drafted token ${String(d)} (candidate ${i}) is outside the vocabulary [0, ${V}).`,
          { details: { index: i, actual: d, expected: `[0, ${V})` } },
        );
      }
      const pd = (p[d] as number) / mass;
      const q = candidates.proposal(i);
      if (q === undefined) {
        // Point mass on d: accept with probability p(d); the residual is p without d.
        if (pd >= 1 || rng.next() < pd) return i;
        mass -= p[d] as number;
        p[d] = 0;
      } else {
        if (q.length !== V) {
          throw new DynamoError(
            DynamoErrorCode.SAMPLER,
            `The proposal of candidate ${i} has length ${q.length}, expected the vocabulary size ${V}.`,
            { details: { index: i, expected: V, actual: q.length } },
          );
        }
        const qd = q[d] as number;
        if (!(qd > 0)) {
          throw new DynamoError(
            DynamoErrorCode.SAMPLER,
            `Drafted token ${d} (candidate ${i}) has proposal probability ${String(qd)}: it cannot have been drawn.`,
            { details: { index: i, actual: qd } },
          );
        }
        if (pd >= qd || rng.next() * qd < pd) return i;
        mass = residualInto(p, q, 1 / mass);
      }
      if (!(mass > 1e-12)) {
        // Round-off left no residual (the rejection had probability ~0): draw from the target itself.
        p.set(original);
        mass = 1;
        break;
      }
    }
    out[0] = multinomial(p, rng, mass);
    return -1;
  }
}

/** p ← max(0, p · scale − q) in place; returns its sum. A leaf loop (see argmax.ts). */
function residualInto(p: Float32Array, q: ArrayLike<number>, scale: number): number {
  let mass = 0;
  for (let j = 0; j < p.length; j++) {
    const w = Math.max((p[j] as number) * scale - (q[j] as number), 0);
    p[j] = w;
    mass += w;
  }
  return mass;
}
