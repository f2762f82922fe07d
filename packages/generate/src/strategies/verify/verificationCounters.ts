import type { VerificationStats } from '../../types.js';

/**
 * How drafts fared in one `verified` generation: per draft depth (1 = right after the exact
 * token) the positions checked and accepted, the passes that verified a draft, the nodes drafted,
 * the passes that were trees. Reported as `stats.acceptance`.
 */
export class VerificationCounters {
  readonly proposed: number[] = [];
  readonly accepted: number[] = [];
  passes = 0;
  draftedNodes = 0;
  treePasses = 0;
  /** Why drafted trees were verified as chains, if they were (e.g. the graph has no tree input). */
  treeFallback: string | undefined = undefined;

  /** Makes the per-depth counters at least `depth` long. */
  recordDepths(depth: number): void {
    while (this.proposed.length < depth) {
      this.proposed.push(0);
      this.accepted.push(0);
    }
  }

  /** One checked position at draft depth `depth` (≥ 1). */
  recordCheck(depth: number, accepted: boolean): void {
    this.recordDepths(depth);
    this.proposed[depth - 1] = (this.proposed[depth - 1] as number) + 1;
    if (accepted) this.accepted[depth - 1] = (this.accepted[depth - 1] as number) + 1;
  }

  /** A drafted tree was cut to its first root-to-leaf path: the model has no tree attention. */
  recordTreeFallback(): void {
    this.treeFallback ??=
      'the model has no tree attention (its graph has no tree_attention_mask input): each drafted tree was verified as its first root-to-leaf path';
  }

  /** One verification pass over `nodes` drafted tokens. */
  recordPass(nodes: number, tree: boolean): void {
    this.passes++;
    this.draftedNodes += nodes;
    if (tree) this.treePasses++;
  }

  toStats(): VerificationStats {
    const acceptedTokens = this.accepted.reduce((a, b) => a + b, 0);
    return {
      proposed: [...this.proposed],
      accepted: [...this.accepted],
      rate: this.proposed.map((p, i) => (p > 0 ? (this.accepted[i] as number) / p : 0)),
      passes: this.passes,
      draftedNodes: this.draftedNodes,
      treePasses: this.treePasses,
      acceptedPerPass: this.passes > 0 ? acceptedTokens / this.passes : 0,
      ...(this.treeFallback !== undefined && { treeFallback: this.treeFallback }),
    };
  }
}
