import type {
  ChatMessage,
  ChatTemplateOptions,
  Constraint,
  Drafter,
  LogitsProcessor,
  MultiTokenModel,
  Sampler,
  TextTokenizer,
  Verifier,
} from '@dynamojs/core';
import type { DecodingMethod } from './methods/decodingMethod.js';

/**
 * How tokens are chosen:
 * - `'ar'`: one token per forward pass from head 0 (the base model) — the baseline. The extra heads
 *   are not computed (`headPositions: 'none'`); pass the base-only model for an honest baseline.
 * - `'dynamo'`: the paper's method — the sampler may emit up to `heads` tokens per pass; the next
 *   pass feeds them as one chunk. Lossy by design.
 * - `'verified'`: lossless draft-and-verify — the exact next token from head 0, a chain or a tree of
 *   drafted tokens after it (a {@link Drafter}: the extra heads, co-occurrence tables, prompt
 *   lookup…), checked by the base head in the next pass (a {@link Verifier}), the cache keeping only
 *   the accepted path. With `verification: 'match'` it produces exactly the tokens `'ar'` produces
 *   with the same sampler and seed; with `'speculative'`, exactly `'ar'`'s distribution.
 *
 * Each mode is served by one or more registered {@link DecodingMethod}s (`'dynamo'`: `dynamo-heads`
 * for the extra heads' samplers, `dynamo-chain` for a chain sampler with the model's draft head); a
 * registered method may bring a mode of its own, hence the open string.
 */
export type GenerationMode = 'ar' | 'dynamo' | 'verified' | (string & {});

/** Why a generation ended. */
/**
 * Why a generation ended. `'constraint'`: the grammar admitted no next token (a dead end, or a
 * complete grammar without eos); the text is what was generated up to there.
 */
export type FinishReason = 'eos' | 'stop' | 'length' | 'context' | 'aborted' | 'constraint';

export interface GenerateOptions {
  /** The model. For `mode: 'ar'` this may be a base-only (1-head) model. */
  readonly model: MultiTokenModel;
  /** Needed for `prompt`, `messages`, `stop` and `text`; without it (with `inputIds`) `text` is `''`. */
  readonly tokenizer?: TextTokenizer;
  /** The prompt text (encoded with `tokenizer`). Exactly one of `prompt`, `inputIds` and `messages`. */
  readonly prompt?: string;
  /** The prompt as token ids. Exactly one of `prompt`, `inputIds` and `messages`. */
  readonly inputIds?: ArrayLike<number>;
  /**
   * Chat messages, rendered with the tokenizer's chat template (`applyChatTemplate`, with the
   * generation prompt) and encoded without adding special tokens, as transformers.js does.
   * Unless `eos` is given, generation also stops at the template's end-of-turn token (the special
   * token it writes after an assistant message, e.g. `<|eot_id|>`, `<|im_end|>`).
   * A tokenizer without a template throws DYNAMO_UNSUPPORTED. Exactly one of `prompt`,
   * `inputIds` and `messages`.
   */
  readonly messages?: readonly ChatMessage[];
  /**
   * Options for rendering `messages` (tools, documents, template variables, a named template).
   * `addGenerationPrompt` defaults to true here.
   */
  readonly chatTemplateOptions?: ChatTemplateOptions;
  /** Most new tokens to generate (integer ≥ 1). Default 128. */
  readonly maxNewTokens?: number;
  /**
   * Default `'ar'` unless the sampler asks for another mode (declares `heads > 1`, or is a chain
   * sampler: `'dynamo'`). One of the registered methods' modes.
   */
  readonly mode?: GenerationMode;
  /**
   * A registered {@link DecodingMethod} by name (e.g. `'dynamo-heads'`, or a plugin's), instead of
   * the method the mode and sampler pick. Its mode is the generation's mode.
   */
  readonly method?: string;
  /**
   * Chooses the tokens. Default: greedy (argmax of head 0) in `'ar'` and `'verified'`; required in
   * `'dynamo'` (e.g. `dynamo({ tables })` from @dynamojs/samplers). In `'verified'` mode it is
   * called once per verified position with `maxTokens = 1` and only head 0.
   */
  readonly sampler?: Sampler;
  /**
   * Applied in order to a copy of every head's logits before the sampler, drafter and verifier see
   * them (one LogitsProcessor or an array) — the same processors in every mode, so `'ar'`,
   * `'dynamo'` and `'verified'` sample from the same base distribution. Processors see the history
   * as it is at that position (in `'verified'` mode: including the accepted drafts before it).
   */
  readonly processors?: LogitsProcessor | readonly LogitsProcessor[];
  /**
   * `'verified'` mode: drafts the tokens after the exact one, as a chain or a tree. Default: per-head
   * top-1 (a chain) on a multi-head model; prompt lookup (`ngramDrafter()` without tables) on a
   * one-head model, e.g. a hub export.
   */
  readonly drafter?: Drafter;
  /**
   * `'verified'` mode: most drafted tokens (chain tokens or tree nodes) verified per pass, integer
   * ≥ 0 (0: no drafts). Default 64. Drafts are also cut to the tokens still allowed
   * (`maxNewTokens`) and to the context.
   */
  readonly maxDraftTokens?: number;
  /**
   * `'verified'` mode: the nodes of a verification pass at which the extra heads' logits are
   * computed — the next draft is made from them at the node where acceptance stops, so a node
   * without them leaves the next draft to head-free sources (n-gram tables, prompt lookup).
   * - a number R: the R nodes where acceptance most likely stops, by the draft's `scores` (else by
   *   depth) — on a graph with `head_logits_rows` only those rows pay for the extra heads'
   *   unembedding (`metadata.headLogitsRows`);
   * - `'all'`: every node (drafts are ready wherever acceptance stops);
   * - `'last'`: the last node only (a chain's: the pass that accepts everything);
   * - default: `'all'` for chains, 3 for trees.
   * Same tokens either way.
   */
  readonly headRows?: 'all' | 'last' | number;
  /**
   * `'verified'` mode: how a draft is checked.
   * - `'match'` (default): the sampler chooses the exact token at each row; the draft is accepted
   *   when it is that token. Lossless for any sampler, and with the same seed it gives exactly the
   *   tokens of `'ar'`.
   * - `'speculative'`: speculative sampling (accept d with probability min(1, p(d)/q(d)), on
   *   rejection draw from normalise(max(0, p − q))), with p from the sampler's
   *   `distribution(view, out)` and q from the draft's `distribution(i)` (a point mass when the
   *   draft has none). Lossless in distribution; accepts stochastic drafts more often than
   *   `'match'`. Needs a {@link DistributionSampler}.
   */
  readonly verification?: 'match' | 'speculative';
  /**
   * `'verified'` mode: a custom {@link Verifier} (e.g. from @dynamojs/samplers, or your own) instead
   * of the one `verification` names.
   */
  readonly verifier?: Verifier;
  /** Stop strings: generation ends when the text contains one; the text ends right before it. */
  readonly stop?: string | readonly string[];
  /**
   * End-of-sequence id(s). Default the model's (else the tokenizer's) eos, with `messages` plus the
   * template's end-of-turn token. A hub model's generation_config.json list (`OnnxModel.eosTokenIds`)
   * goes here. `false`: never stop on eos.
   */
  readonly eos?: number | readonly number[] | false;
  /** Aborts between forward passes; the result so far resolves with `aborted: true`. */
  readonly signal?: AbortSignal;
  /** Seed of the sampler's RNG (any finite number). Default: random. */
  readonly seed?: number;
  /**
   * What to do with a prompt that leaves no room for a new token (`prompt length ≥ contextLength`):
   * `'none'` (default) throws DYNAMO_CONTEXT_OVERFLOW; `'left'` drops the oldest prompt tokens,
   * keeping the last `max(1, contextLength - maxNewTokens)`.
   */
  readonly truncate?: 'none' | 'left';
  /**
   * Encode a string `prompt` with the tokenizer's post-processor (its special tokens, e.g. the BOS
   * of Llama 2, Mistral and Gemma tokenizers), as transformers.js' tokenizer and text-generation
   * pipeline do. Default true (byte-level BPE tokenizers such as GPT-2's and the bundled model's add
   * nothing). Chat `messages` never add them: the template writes its own.
   */
  readonly addSpecialTokens?: boolean;
  /** Drop special tokens from the text. Default true. */
  readonly skipSpecialTokens?: boolean;
  /**
   * Structured output: every emitted token must follow this grammar (a {@link Constraint}, e.g.
   * from @dynamojs/structured's `jsonSchemaConstraint`, `regexConstraint`, `grammarConstraint`), in
   * every mode. Head 0 is masked by it before the processors; in `'verified'` drafts are pruned to
   * it and speculative sampling stays exact for the constrained distribution; in `'dynamo'` the
   * emitted cells are cut at the first token it rejects. A grammar that admits nothing ends the
   * generation with `finishReason: 'constraint'`. `stats.constraint` reports its cost.
   */
  readonly constraint?: Constraint;
  /**
   * With a `constraint`: where the grammar admits exactly one next token, emit it without a
   * forward pass for it (the model reads it in the next pass's chunk). Default true.
   */
  readonly forcedRuns?: boolean;
}

/** What a constraint did and cost in one generation (`stats.constraint`). */
export interface ConstraintStats {
  /** Tokens emitted because the grammar admitted only them (forced runs). */
  readonly forcedTokens: number;
  /** Positions whose allowed-token mask the engine computed. */
  readonly maskedPositions: number;
  /** Drafted nodes pruned because the grammar rejects them (`'verified'`). */
  readonly prunedNodes: number;
  /** Time in the grammar engine (masks, advances, rollbacks), ms. */
  readonly engineMs: number;
  /** engineMs per generated token, µs. */
  readonly engineUsPerToken: number;
}

/** Statistics of one generation. Token counts are tokens as emitted by the forward passes. */
export interface GenerationStats {
  readonly mode: GenerationMode;
  /** The registered decoding method that ran (`'ar'`, `'dynamo-heads'`, `'dynamo-chain'`, `'verified'`, …). */
  readonly method: string;
  /** Execution device reported by the model, if any. */
  readonly device: string | undefined;
  readonly promptTokens: number;
  /** Tokens emitted (eos excluded; before any stop-string trimming). */
  readonly tokens: number;
  /** Forward passes, prefill included. */
  readonly forwardPasses: number;
  /** tokens / forwardPasses. */
  readonly tokensPerPass: number;
  /** Time of the prefill pass (and of choosing its tokens), ms. */
  readonly prefillMs: number;
  /** Time of every later pass and its token choice, ms. */
  readonly decodeMs: number;
  /**
   * Part of `decodeMs` spent waiting for `model.forward` (the forward passes after prefill), ms.
   * The rest, `selectMs`, is the sampler (or draft verification) and the loop's bookkeeping:
   * where a step's time goes, e.g. why a multi-token mode is not faster on some model.
   */
  readonly forwardMs: number;
  /** `decodeMs − forwardMs`: choosing tokens after each decode pass (sampler, verification, stop checks), ms. */
  readonly selectMs: number;
  /** Wall-clock time from start to finish, ms (encoding and validation included). */
  readonly totalMs: number;
  /**
   * Decode throughput: tokens emitted by the passes after prefill / decodeMs. (0 when there was
   * only a prefill pass.)
   */
  readonly tokensPerSecond: number;
  /** End-to-end throughput: tokens / (prefillMs + decodeMs). */
  readonly overallTokensPerSecond: number;
  /** Reported by the `verified` method: how the drafts fared. */
  readonly acceptance?: VerificationStats;
  /**
   * Reported by the `dynamo-chain` method (`'dynamo'` with a draft head): draft-head steps run and
   * the time they and the sampler's `extend` took (part of `selectMs`). Absent when no step ran.
   */
  readonly draftHead?: { readonly steps: number; readonly ms: number };
  /** With a constraint: forced tokens, masked positions and the engine's time. */
  readonly constraint?: ConstraintStats;
  /**
   * What any other method reports (`DecodeStrategy.report()`), under its own keys; read them with
   * the method's own stats type.
   */
  readonly [methodStatistic: string]: unknown;
}

/**
 * How drafts fared in `'verified'` mode. Per draft depth (1 = right after the exact token; for
 * per-head drafts, head 1, head 2, …): how many positions had drafted candidates (`proposed`), at
 * how many one was accepted, and their ratio. Depth k is checked only when depths 1..k-1 were
 * accepted, so the rate at depth 2 is conditional on depth 1's acceptance.
 */
export interface VerificationStats {
  readonly proposed: readonly number[];
  readonly accepted: readonly number[];
  readonly rate: readonly number[];
  /** Passes that verified a draft (had at least one drafted token). */
  readonly passes: number;
  /** Drafted tokens (chain tokens or tree nodes) fed to those passes. */
  readonly draftedNodes: number;
  /** Of those passes, how many verified a branching tree. */
  readonly treePasses: number;
  /** Accepted drafted tokens per verification pass (tokens per pass = this + 1 on those passes). */
  readonly acceptedPerPass: number;
  /** Set when drafted trees had to be verified as chains, with the reason. */
  readonly treeFallback?: string;
}

export interface GenerateResult {
  /** Generated text (prompt excluded), ending right before a matched stop string. */
  readonly text: string;
  /**
   * Generated token ids (prompt and eos excluded). With a stop string: the fewest tokens whose
   * text covers `text` (the last may hold the start of the stop string when it begins mid-token).
   */
  readonly tokens: number[];
  /** The prompt ids as fed to the model (after truncation). */
  readonly promptIds: number[];
  /** Tokens emitted by each forward pass, in order (prefill first). */
  readonly steps: number[];
  readonly finishReason: FinishReason;
  readonly aborted: boolean;
  /** The stop string that ended generation, when finishReason is `'stop'`. */
  readonly stopString?: string;
  readonly stats: GenerationStats;
}

/** One event of {@link stream}. */
export type GenerateEvent =
  | {
      /** Newly completed text (complete UTF-8; never part of a possible stop string). */
      readonly type: 'text';
      readonly text: string;
    }
  | {
      /** The tokens one forward pass emitted (as emitted; the final result is trimmed at a stop). */
      readonly type: 'tokens';
      readonly tokens: number[];
      readonly step: number;
    }
  | {
      /** Always last: the full result with statistics. */
      readonly type: 'done';
      readonly result: GenerateResult;
    };
