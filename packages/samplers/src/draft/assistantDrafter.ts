import {
  checkEnum,
  checkInteger,
  checkNumber,
  type Draft,
  type Drafter,
  type DraftFeedback,
  DynamoError,
  DynamoErrorCode,
  type KVCache,
  type MultiTokenModel,
  type StepView,
  throwIfAborted,
} from '@dynamojs/core';
import { argmax } from '../classic/argmax.js';
import { checkLogits } from '../classic/checkLogits.js';
import { type ClassicProcessorOptions, classicProcessors } from '../classic/classicProcessors.js';
import { multinomial } from '../classic/multinomial.js';
import { MutableProcessorContext } from '../classic/processorPipeline.js';
import { softmax } from '../classic/softmax.js';
import { checkNextToken } from './checkNextToken.js';

/** The most tokens an assistant drafts per pass (the bound of `k` and `maxK`). */
export const MAX_ASSISTANT_DRAFT = 16;

/** Default threshold on the assistant's top probability below which a draft stops (transformers' 0.4). */
export const DEFAULT_ASSISTANT_MIN_PROBABILITY = 0.4;

export interface AssistantDrafterOptions extends ClassicProcessorOptions {
  /**
   * Tokens drafted after `next` on the first pass of a generation (with `schedule: 'constant'`, on
   * every pass), integer in [1, 16]; also ≤ view.maxTokens − 1 and the assistant's context. Default 4.
   */
  readonly k?: number;
  /** The most tokens the `'heuristic'` schedule grows `k` to, integer in [k, 16]. Default 16 (`k` then defaults to min(4, maxK)). */
  readonly maxK?: number;
  /**
   * `'heuristic'` (default, transformers' schedule): after a pass that accepted every drafted
   * token k += 2, otherwise k = max(1, k − 1), within [1, maxK]. `'constant'`: k stays.
   */
  readonly schedule?: 'heuristic' | 'constant';
  /**
   * A draft stops after a token drawn where the assistant's top probability (its processed
   * distribution) is below this, in [0, 1] (that token is still drafted: it cost no extra
   * assistant pass). Default 0.4, transformers' `assistant_confidence_threshold`; 0: never.
   */
  readonly minProbability?: number;
  /**
   * 'sample' (default): each token drawn from the assistant's processed distribution q, which the
   * draft reports, for speculative verification (exactly `ar`'s distribution). 'argmax': its most
   * likely token, a deterministic draft (greedy / match verification).
   */
  readonly draw?: 'sample' | 'argmax';
  /**
   * `draw: 'argmax'` only: also draft, at each depth of the chain, this many of the assistant's
   * next most likely tokens as sibling leaves (a tree of chain + alternates, with no extra assistant
   * pass), integer in [0, 4]; default 0 (a chain). It pays only where the target verifies trees in
   * one pass (`metadata.treeAttention`, a GPU where extra rows are nearly free); on other models
   * generation verifies the chain (the tree's first path) and the alternates are dropped.
   */
  readonly alternates?: number;
  /**
   * The target model, when known: its vocabulary and device are checked now (otherwise the
   * vocabulary is checked against `view.vocabSize` at each draft).
   */
  readonly target?: MultiTokenModel;
  readonly name?: string;
}

/** What an {@link AssistantDrafter} has done since it was made. */
export interface AssistantDrafterStats {
  /** Drafted tokens verification checked (the sum of `accepted()`'s `proposed`). */
  readonly proposed: number;
  /** Of those, the tokens verification accepted. */
  readonly accepted: number;
  /** accepted / proposed (0 before any feedback). */
  readonly acceptanceRate: number;
  /** The draft length the next pass asks for. */
  readonly k: number;
  /** Drafts made (calls of `draft` that ran the assistant). */
  readonly drafts: number;
  /** Assistant forward passes, and the tokens they fed (prefills and re-syncs included). */
  readonly assistantPasses: number;
  readonly assistantTokens: number;
}

/** Tokens the held-tokens buffer starts with. */
const INITIAL_HELD = 256;

/**
 * Assistant-model speculative decoding: a small causal LM with the target's vocabulary drafts a
 * chain, one assistant pass per token, and the target verifies it in one pass (`verified` mode:
 * greedy / match verification gives exactly `ar`'s tokens; with `draw: 'sample'` and
 * `verification: 'speculative'`, exactly `ar`'s distribution, from the q the draft reports).
 *
 * The drafter owns one KV cache of the assistant (not the model: `dispose()` releases the cache
 * only). At each `draft(view, next)` it syncs the cache to the sequence — `view.history`, which in
 * generation already ends with `next` (otherwise `next` is appended): it keeps the longest common
 * prefix of what the cache holds and the sequence (`trim`: the rollback after verification,
 * including when the target replaced the last token), feeds the rest in one pass, then drafts.
 * The classic processors (temperature, top-k, top-p, repetition penalty over the history and the
 * chain so far) shape q, as the target's are applied to p.
 *
 * Vocabularies: the assistant's must be the target's, or larger with the target's a prefix (the
 * ids past the target's are masked out: padded exports); smaller is DYNAMO_VOCAB_MISMATCH. A
 * failed or aborted assistant pass leaves the cache at the last good prefix (or drops it), so the
 * next draft re-syncs.
 */
export class AssistantDrafter implements Drafter {
  readonly name: string;
  readonly heads = 1;
  readonly model: MultiTokenModel;
  private readonly initialK: number;
  private readonly maxK: number;
  private readonly schedule: 'heuristic' | 'constant';
  private readonly minProbability: number;
  private readonly draw: 'sample' | 'argmax';
  private readonly alternates: number;
  private readonly treeTokens: Int32Array;
  private readonly treeParents: Int32Array;
  /** Chain tokens of the last draft (the heuristic schedule compares acceptance with it). */
  private lastChain = 0;
  private readonly processors;
  private readonly context = new MutableProcessorContext();
  private currentK: number;
  private cache: KVCache | undefined = undefined;
  /** The tokens whose keys and values the cache holds (`held[0 .. heldLength)`). */
  private held = new Int32Array(INITIAL_HELD);
  private heldLength = 0;
  /** `history + next` when the history does not end with `next`. */
  private sequenceScratch = new Int32Array(0);
  private readonly tokens = new Int32Array(MAX_ASSISTANT_DRAFT);
  private readonly pendingViews: Int32Array[] = [];
  /** `tokens[i .. i + 1)`: the chunk that feeds drafted token i. */
  private readonly singles: Int32Array[] = [];
  private readonly p = new Float64Array(MAX_ASSISTANT_DRAFT);
  private readonly q: Float32Array[] = [];
  private readonly sampled: Draft[] = [];
  private readonly points: Draft[] = [];
  private disposed = false;
  private proposedTokens = 0;
  private acceptedTokens = 0;
  private draftCount = 0;
  private passes = 0;
  private fed = 0;

  constructor(model: MultiTokenModel, options: AssistantDrafterOptions = {}) {
    checkModel('assistant', model);
    if (typeof options !== 'object' || options === null) {
      throw new DynamoError(DynamoErrorCode.INVALID_OPTION, 'assistantDrafter options must be an object.', {
        details: { option: 'options' },
      });
    }
    const { k, maxK, schedule, minProbability, draw, target, name, alternates, ...processing } = options;
    this.model = model;
    checkDisposed(model);
    const cap = maxK === undefined ? undefined : checkInteger('maxK', maxK, { min: 1, max: MAX_ASSISTANT_DRAFT });
    this.initialK =
      k === undefined ? Math.min(4, cap ?? 4) : checkInteger('k', k, { min: 1, max: cap ?? MAX_ASSISTANT_DRAFT });
    this.maxK = cap ?? MAX_ASSISTANT_DRAFT;
    this.currentK = this.initialK;
    this.schedule =
      schedule === undefined ? 'heuristic' : checkEnum('schedule', schedule, ['heuristic', 'constant'] as const);
    this.minProbability =
      minProbability === undefined
        ? DEFAULT_ASSISTANT_MIN_PROBABILITY
        : checkNumber('minProbability', minProbability, { min: 0, max: 1 });
    this.draw = draw === undefined ? 'sample' : checkEnum('draw', draw, ['sample', 'argmax'] as const);
    this.alternates = alternates === undefined ? 0 : checkInteger('alternates', alternates, { min: 0, max: 4 });
    if (this.alternates > 0 && this.draw !== 'argmax') {
      throw new DynamoError(
        DynamoErrorCode.INVALID_OPTION,
        "assistantDrafter: `alternates` needs draw: 'argmax' (sampled trees would need each sibling's distribution).",
        { details: { option: 'alternates', expected: "draw: 'argmax'", actual: this.draw } },
      );
    }
    this.treeTokens = new Int32Array(MAX_ASSISTANT_DRAFT * (1 + this.alternates));
    this.treeParents = new Int32Array(MAX_ASSISTANT_DRAFT * (1 + this.alternates));
    this.processors = classicProcessors(processing);
    if (target !== undefined) {
      checkModel('target', target);
      checkVocabulary(model.metadata.vocabSize, target.metadata.vocabSize);
      const a = model.metadata.device;
      const t = target.metadata.device;
      if (a !== undefined && t !== undefined && a.toLowerCase() !== t.toLowerCase()) {
        throw new DynamoError(
          DynamoErrorCode.INVALID_OPTION,
          `The assistant model runs on "${a}" and the target on "${t}": load both on the same device.`,
          { details: { option: 'assistant', expected: t, actual: a } },
        );
      }
    }
    this.name = name ?? `assistant(${model.metadata.name}, ${this.draw}, k ${this.initialK})`;
    for (let i = 0; i <= MAX_ASSISTANT_DRAFT; i++) {
      this.pendingViews.push(this.tokens.subarray(0, i));
      this.singles.push(this.tokens.subarray(i, i + 1));
    }
    const probability = (i: number) => this.p[i] as number;
    const distribution = (i: number) => this.q[i] as Float32Array;
    for (let n = 0; n <= MAX_ASSISTANT_DRAFT; n++) {
      const tokens = this.tokens.subarray(0, n);
      this.points.push({ tokens });
      this.sampled.push({ tokens, probability, distribution });
    }
  }

  /** The draft length the next pass asks for (before the view's and the context's bounds). */
  get k(): number {
    return this.currentK;
  }

  /** Tokens whose keys and values the assistant's cache holds now. */
  get cachedTokens(): number {
    return this.heldLength;
  }

  report(): AssistantDrafterStats {
    return {
      proposed: this.proposedTokens,
      accepted: this.acceptedTokens,
      acceptanceRate: this.proposedTokens > 0 ? this.acceptedTokens / this.proposedTokens : 0,
      k: this.currentK,
      drafts: this.draftCount,
      assistantPasses: this.passes,
      assistantTokens: this.fed,
    };
  }

  /**
   * A generation starts: the draft length goes back to `k`. The cache is kept — the next draft
   * reuses the longest common prefix with the new sequence (a shared prompt).
   */
  reset(): void {
    this.currentK = this.initialK;
  }

  /**
   * Acceptance feedback: the counters of {@link report}, and the `'heuristic'` schedule — every
   * drafted token accepted → k + 2, else k − 1, within [1, maxK]. Never throws.
   */
  accepted(feedback: DraftFeedback): void {
    const proposed = feedback.proposed;
    const accepted = feedback.accepted;
    if (!(proposed > 0) || !(accepted >= 0)) return;
    this.proposedTokens += proposed;
    this.acceptedTokens += Math.min(accepted, proposed);
    if (this.schedule === 'constant') return;
    // a tree's alternates are extra chances, not part of the length: full = the whole chain accepted
    const full = feedback.tree ? accepted >= this.lastChain : accepted >= proposed;
    this.currentK = full ? Math.min(this.maxK, this.currentK + 2) : Math.max(1, this.currentK - 1);
  }

  async draft(view: StepView, next: number): Promise<Draft> {
    if (this.disposed) {
      throw new DynamoError(DynamoErrorCode.DISPOSED, `Drafter "${this.name}" has been disposed.`);
    }
    checkDisposed(this.model);
    const vocabSize = view.vocabSize;
    checkNextToken(next, vocabSize);
    const assistantVocabulary = this.model.metadata.vocabSize;
    checkVocabulary(assistantVocabulary, vocabSize);
    const sequence = this.sequenceOf(view.history, next);
    // the sequence and the drafted tokens but the last must fit the assistant's context
    const room = this.model.metadata.contextLength - sequence.length + 1;
    const n = Math.min(this.currentK, view.maxTokens - 1, room);
    if (n <= 0) return this.points[0] as Draft;
    const { signal } = view;
    this.draftCount++;
    let logits = await this.sync(sequence, signal);
    const tokens = this.tokens;
    let count = 0;
    for (let i = 0; i < n; i++) {
      if (i > 0) logits = await this.run(this.singles[i - 1] as Int32Array, signal);
      checkLogits(logits, 0, assistantVocabulary);
      const q = this.distributionBuffer(i, vocabSize);
      // ids past the target's vocabulary are left out (masked): q is over the target's ids
      const row = assistantVocabulary === vocabSize ? logits : logits.subarray(0, vocabSize);
      this.processors.apply(row, this.context.set(0, sequence, this.pendingViews[i] as Int32Array), q);
      softmax(q, q);
      const token = this.draw === 'argmax' ? argmax(q) : multinomial(q, view.rng);
      tokens[i] = token;
      this.p[i] = q[token] as number;
      count++;
      if (this.minProbability > 0 && topProbability(q) < this.minProbability) break;
    }
    this.lastChain = count;
    if (this.alternates > 0 && count > 0) return this.withAlternates(count, vocabSize);
    return (this.draw === 'argmax' ? this.points[count] : this.sampled[count]) as Draft;
  }

  /**
   * The chain as a tree (node i = chain token i, parent i − 1), then at each depth the assistant's
   * next most likely tokens after the chain's as siblings of the chain node there (leaves).
   */
  private withAlternates(count: number, vocabSize: number): Draft {
    const tokens = this.treeTokens;
    const parents = this.treeParents;
    for (let i = 0; i < count; i++) {
      tokens[i] = this.tokens[i] as number;
      parents[i] = i - 1;
    }
    let nodes = count;
    for (let i = 0; i < count; i++) {
      const q = this.q[i] as Float32Array;
      const first = nodes;
      for (let a = 0; a < this.alternates; a++) {
        // the most likely token not drafted at this depth yet (ties: the lower id)
        let best = -1;
        for (let v = 0; v < vocabSize; v++) {
          if (best >= 0 && (q[v] as number) <= (q[best] as number)) continue;
          if (v === this.tokens[i] || tokens.subarray(first, nodes).includes(v)) continue;
          best = v;
        }
        if (best < 0 || !((q[best] as number) > 0)) break;
        tokens[nodes] = best;
        parents[nodes] = i - 1;
        nodes++;
      }
    }
    return { tokens: tokens.subarray(0, nodes), parents: parents.subarray(0, nodes) };
  }

  /** Releases the assistant's cache (not the model). Idempotent; `draft` then throws DYNAMO_DISPOSED. */
  dispose(): void {
    this.disposed = true;
    this.dropCache();
  }

  /** `history`, or `history + next` when the history does not already end with `next`. */
  private sequenceOf(history: Int32Array, next: number): Int32Array {
    const L = history.length;
    if (L > 0 && history[L - 1] === next) return history;
    if (this.sequenceScratch.length < L + 1) this.sequenceScratch = new Int32Array(Math.max(2 * (L + 1), 64));
    const s = this.sequenceScratch.subarray(0, L + 1);
    s.set(history);
    s[L] = next;
    return s;
  }

  /**
   * Brings the cache to `sequence` minus at least its last token (kept: the longest common prefix;
   * trimmed: the rest — the rejected drafts), feeds the rest in one pass and returns the logits
   * after the sequence.
   */
  private async sync(sequence: Int32Array, signal: AbortSignal | undefined): Promise<Float32Array> {
    let cache = this.cache;
    if (cache !== undefined && (cache.disposed || cache.length !== this.heldLength)) {
      this.dropCache();
      cache = undefined;
    }
    if (cache === undefined) {
      throwIfAborted(signal, 'assistant draft');
      cache = this.model.createCache();
      this.cache = cache;
      this.heldLength = 0;
    }
    const held = this.held;
    const limit = Math.min(this.heldLength, sequence.length - 1);
    let keep = 0;
    while (keep < limit && held[keep] === sequence[keep]) keep++;
    if (keep < this.heldLength) {
      try {
        cache.trim(keep);
        this.heldLength = keep;
      } catch (error) {
        this.dropCache();
        throw error;
      }
    }
    return this.run(sequence.subarray(keep), signal);
  }

  /** One assistant pass over `chunk` (after what the cache holds); the logits after its last token. */
  private async run(chunk: Int32Array, signal: AbortSignal | undefined): Promise<Float32Array> {
    throwIfAborted(signal, 'assistant draft');
    const cache = this.cache as KVCache;
    const before = this.heldLength;
    let logits: Float32Array;
    try {
      const result = await this.model.forward(chunk, cache, { positions: 'last', headPositions: 'none', signal });
      logits = result.logits(0);
    } catch (error) {
      this.rollBack(before);
      throw error;
    }
    if (cache.length !== before + chunk.length) {
      this.dropCache();
      throw new DynamoError(
        DynamoErrorCode.CACHE_STATE,
        `Drafter "${this.name}": the assistant's cache holds ${cache.length} tokens after a pass, expected ${before + chunk.length}.`,
      );
    }
    this.hold(chunk);
    this.passes++;
    this.fed += chunk.length;
    return logits;
  }

  private hold(chunk: Int32Array): void {
    const need = this.heldLength + chunk.length;
    if (need > this.held.length) {
      const grown = new Int32Array(Math.max(need, 2 * this.held.length));
      grown.set(this.held.subarray(0, this.heldLength));
      this.held = grown;
    }
    this.held.set(chunk, this.heldLength);
    this.heldLength = need;
  }

  /** After a failed pass: the cache back at `length` tokens, or dropped when that fails. */
  private rollBack(length: number): void {
    const cache = this.cache;
    if (cache === undefined) return;
    try {
      if (cache.disposed || cache.length < length) throw new Error('unusable');
      if (cache.length > length) cache.trim(length);
      this.heldLength = length;
    } catch {
      this.dropCache();
    }
  }

  private dropCache(): void {
    const cache = this.cache;
    this.cache = undefined;
    this.heldLength = 0;
    try {
      cache?.dispose();
    } catch {
      // a cache whose model is gone: nothing left to release
    }
  }

  private distributionBuffer(i: number, vocabSize: number): Float32Array {
    let q = this.q[i];
    if (q === undefined || q.length !== vocabSize) {
      q = new Float32Array(vocabSize);
      this.q[i] = q;
    }
    return q;
  }
}

/** Largest entry of a probability row. */
function topProbability(q: Float32Array): number {
  let best = 0;
  for (let i = 0; i < q.length; i++) if ((q[i] as number) > best) best = q[i] as number;
  return best;
}

function checkModel(option: string, model: unknown): asserts model is MultiTokenModel {
  const m = model as MultiTokenModel | null;
  if (
    typeof m !== 'object' ||
    m === null ||
    typeof m.forward !== 'function' ||
    typeof m.createCache !== 'function' ||
    typeof m.metadata !== 'object' ||
    m.metadata === null
  ) {
    throw new DynamoError(DynamoErrorCode.INVALID_OPTION, `assistantDrafter needs \`${option}\`: a MultiTokenModel.`, {
      details: { option, expected: 'a MultiTokenModel', actual: m === null ? 'null' : typeof m },
    });
  }
  checkInteger(`${option}.metadata.vocabSize`, m.metadata.vocabSize, { min: 1 });
}

/** DYNAMO_DISPOSED when the model says it was disposed (runtimes expose `disposed`). */
function checkDisposed(model: MultiTokenModel): void {
  if ((model as { disposed?: unknown }).disposed === true) {
    throw new DynamoError(DynamoErrorCode.DISPOSED, `The assistant model "${model.metadata.name}" has been disposed.`, {
      details: { option: 'assistant' },
    });
  }
}

/** The assistant's vocabulary must be the target's, or larger (the target's a prefix of it). */
function checkVocabulary(assistant: number, target: number): void {
  if (assistant >= target) return;
  throw new DynamoError(
    DynamoErrorCode.VOCAB_MISMATCH,
    `The assistant model's vocabulary (${assistant} tokens) is smaller than the target's (${target}): it cannot draft every target token.`,
    { details: { option: 'assistant', expected: target, actual: assistant } },
  );
}

/**
 * `assistantDrafter(small, { target: big, k: 4 })`: chains drafted by a small assistant model for
 * `verified` mode (`draw: 'argmax'` for greedy; sampling with `verification: 'speculative'`).
 * Options are validated now (DYNAMO_INVALID_OPTION; DYNAMO_VOCAB_MISMATCH, DYNAMO_DISPOSED).
 */
export function assistantDrafter(model: MultiTokenModel, options?: AssistantDrafterOptions): AssistantDrafter {
  return new AssistantDrafter(model, options);
}
