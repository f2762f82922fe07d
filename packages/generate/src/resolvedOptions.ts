import type {
  Constraint,
  Drafter,
  LogitsProcessor,
  MultiTokenModel,
  Sampler,
  TextTokenizer,
  Verifier,
} from '@dynamojs/core';
import type { DecodingMethod } from './methods/decodingMethod.js';
import type { GenerationMode } from './types.js';

/** Options after validation and defaults (what a decoding method and its strategy read). */
export interface ResolvedOptions {
  readonly model: MultiTokenModel;
  readonly tokenizer: TextTokenizer | undefined;
  readonly promptIds: Int32Array;
  readonly maxNewTokens: number;
  readonly mode: GenerationMode;
  /** The registered method that decodes it. */
  readonly method: DecodingMethod;
  readonly sampler: Sampler;
  readonly processors: readonly LogitsProcessor[];
  readonly drafter: Drafter;
  readonly maxDraftTokens: number;
  /** 'auto': chains 'all', trees the DEFAULT_TREE_HEAD_ROWS likeliest end nodes. */
  readonly headRows: 'auto' | 'all' | 'last' | number;
  readonly verification: 'match' | 'speculative';
  /** What checks drafts in 'verified' mode (from `verifier`, else from `verification`). */
  readonly verifier: Verifier;
  readonly stop: readonly string[];
  readonly eos: Int32Array;
  readonly signal: AbortSignal | undefined;
  readonly seed: number | undefined;
  readonly skipSpecialTokens: boolean;
  /** The grammar every emitted token must follow (undefined: unconstrained). */
  readonly constraint: Constraint | undefined;
  /** Emit the tokens the constraint forces without a forward pass for them (default true). */
  readonly forcedRuns: boolean;
}
