import type { DraftConstraint } from './constraint.js';
import type { Rng } from './rng.js';

/**
 * What a sampler sees at one decoding step: the raw logits of every available head at the last
 * position, the tokens so far, and a seeded RNG. Everything is a view: nothing is copied for it.
 */
export interface StepView {
  readonly vocabSize: number;
  /** Heads with logits this step (1 for a plain model). */
  readonly heads: number;
  /**
   * The most tokens the sampler may emit now (1 ≤ maxTokens ≤ heads): generation may allow fewer
   * than `heads` near `maxNewTokens` or the context limit.
   */
  readonly maxTokens: number;
  /**
   * Raw logits of `head` at the last position (head 0: the next token; head h: h tokens later).
   * Owned by the runtime: read only. Copy before changing.
   */
  logits(head: number): Float32Array;
  /** Every token so far: prompt then generated. A view; read only. */
  readonly history: Int32Array;
  /** How many of `history`'s tokens are the prompt. */
  readonly promptLength: number;
  /** 0-based index of this decoding step (forward pass) within the generation. */
  readonly step: number;
  readonly rng: Rng;
  readonly signal?: AbortSignal;
  /**
   * The base model's final hidden state at this step's position (`ForwardResult.hidden`), when the
   * model returns hidden states; what a draft-head drafter continues from. Read only.
   */
  hidden?(): Float32Array | undefined;
  /**
   * With `generate({ constraint })`: the grammar after the history (head 0's logits are already
   * masked by it), and a probe to look ahead along drafted tokens. Undefined without a constraint.
   */
  readonly constraint?: DraftConstraint;
}
