import type { Draft } from '@dynamojs/core';
import type { ConstraintTracker } from '../../constraintTracker.js';
import { GrammarPruner } from './grammarPruner.js';

/**
 * The grammar's side of drafting in `'verified'` mode, after the exact token `next` (the tracker
 * stands after it): the drafter's draft pruned to the grammar ({@link GrammarPruner}), and the run
 * of tokens the grammar forces after `next` — the draft when the pruned one is shorter (a pruned
 * chain is grammar-valid, so it starts with that run); the verification walk accepts forced nodes
 * without the verifier, and the model reads them in the pass it runs anyway. The drafter itself
 * sees the grammar as `view.constraint` (a probe it may push / pop; the draft-head drafter masks
 * its q with it, so it drafts through forced tokens).
 */
export class DraftGrammar {
  private readonly tracker: ConstraintTracker;
  private readonly forcedRuns: boolean;
  private readonly pruner = new GrammarPruner();
  private forced = new Int32Array(16);

  constructor(tracker: ConstraintTracker, forcedRuns: boolean) {
    this.tracker = tracker;
    this.forcedRuns = forcedRuns;
  }

  /** The run of tokens the grammar forces after `next`, at most `max` (undefined: none). */
  forcedDraft(max: number): Draft | undefined {
    if (!this.forcedRuns || max <= 0) return undefined;
    const tracker = this.tracker;
    let n = 0;
    try {
      while (n < max) {
        const token = tracker.forcedToken();
        if (token < 0 || !tracker.push(token)) break;
        if (n === this.forced.length) {
          const grown = new Int32Array(n * 2);
          grown.set(this.forced);
          this.forced = grown;
        }
        this.forced[n++] = token;
      }
    } finally {
      tracker.restore();
    }
    return n === 0 ? undefined : { tokens: this.forced.subarray(0, n) };
  }

  /** The drafter's draft cut to the grammar. */
  prune(draft: Draft): Draft {
    this.tracker.restore();
    return this.pruner.prune(draft, this.tracker);
  }
}
