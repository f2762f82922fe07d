import type { StepView } from './stepView.js';

/**
 * Drafts the tokens after `next` for lossless (verified) decoding. `next` is the token the base
 * head produced exactly; the draft is checked by the base head in the next forward pass.
 */
export interface Drafter {
  readonly name: string;
  /**
   * How many heads the drafter reads (default: every head of the model). A drafter that needs no
   * extra head (prompt lookup, n-gram tables) says 1, and generation then skips the extra heads'
   * logits — or runs a model that has none.
   */
  readonly heads?: number;
  /**
   * May return a promise (a drafter that runs a model, e.g. a draft head): generation awaits it
   * before the verification pass.
   */
  draft(view: StepView, next: number): Draft | Promise<Draft>;
  /** Called when a generation starts, to clear per-generation state (e.g. a prompt-lookup index). */
  reset?(): void;
  /**
   * Optional acceptance feedback, called after each verification pass that checked a draft from
   * this drafter: how many drafted tokens the pass fed (`proposed`, chain tokens or tree nodes) and
   * how many of them verification accepted (the accepted path's length, 0 ≤ accepted ≤ depth of the
   * draft). An adaptive drafter (a draft length schedule, a threshold tuned to the acceptance rate)
   * adjusts its next draft from it; the call must not throw.
   */
  accepted?(feedback: DraftFeedback): void;
}

/** What one verification pass made of a draft (see {@link Drafter.accepted}). */
export interface DraftFeedback {
  /** Drafted tokens (chain tokens or tree nodes) the pass verified, after pruning to the limits. */
  readonly proposed: number;
  /** Drafted tokens accepted (the length of the accepted path). */
  readonly accepted: number;
  /** Whether the draft was verified as a branching tree. */
  readonly tree: boolean;
}

/**
 * A drafter whose `draft` answers at once (every drafter of @dynamojs/samplers except the
 * draft-head one, which runs a model): callers may use its draft without awaiting it.
 */
export interface SyncDrafter extends Drafter {
  draft(view: StepView, next: number): Draft;
}

/**
 * Drafted tokens, as a chain or as a tree of candidates.
 *
 * - A **chain** (no `parents`): `tokens[0]` follows `next`, `tokens[i]` follows `tokens[i − 1]`.
 * - A **tree** (`parents` given): node i's token follows node `parents[i]`, or `next` when
 *   `parents[i]` is -1. Parents come before their children (`parents[i] < i`); siblings are
 *   listed in the order the drafter proposes them (verification tries them in that order). One
 *   forward pass verifies the whole tree when the model has tree attention
 *   (`ModelMetadata.treeAttention`); otherwise generation verifies its first root-to-leaf path.
 */
export interface Draft {
  /** Drafted tokens (a chain: 0 ≤ length ≤ view.heads − 1; a tree: any number of nodes). */
  readonly tokens: ArrayLike<number>;
  /** Tree form: the parent of each node (-1: `next`). Omit for a chain. */
  readonly parents?: ArrayLike<number>;
  /**
   * For sampling verification: the probability of node i's token under the distribution it was
   * drawn from, and that distribution itself (length vocabSize) — for a node of a tree, the
   * distribution given its parent path and the siblings drafted before it. Omit both for
   * deterministic drafts (argmax, best cells): the drafting distribution is then a point mass.
   */
  readonly probability?: (i: number) => number;
  readonly distribution?: (i: number) => ArrayLike<number>;
  /**
   * Optional: the drafter's estimate of the probability that verification accepts the path up to
   * node i (≤ its parent's). Generation uses it to compute the extra heads only at the nodes where
   * acceptance most likely stops (`headRows` as a number), not at every node of a tree.
   */
  readonly scores?: ArrayLike<number>;
}
