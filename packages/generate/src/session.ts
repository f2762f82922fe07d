import {
  createRng,
  type Draft,
  DynamoError,
  DynamoErrorCode,
  type ForwardOptions,
  type ForwardResult,
  type IncrementalDecoder,
  isDynamoError,
  type KVCache,
  type LogitsProcessor,
  type Rng,
  type StepView,
} from '@dynamojs/core';
import { TokenBuffer } from './buffers.js';
import type { ResolvedOptions } from './options.js';
import { StopMatcher } from './stop.js';
import type { DistributionSampler, FinishReason, GenerateResult, GenerationStats } from './types.js';

const now: () => number =
  typeof performance !== 'undefined' && typeof performance.now === 'function'
    ? () => performance.now()
    : () => Date.now();

/**
 * The StepView handed to samplers and drafters: one object per generation, updated in place every
 * step (no allocation per step). `logits(h)` reads row `index` (undefined = last) of the current
 * forward result; with processors, a processed copy in a per-head scratch buffer.
 */
class View implements StepView {
  vocabSize: number;
  heads = 1;
  maxTokens = 1;
  promptLength: number;
  step = 0;
  rng: Rng;
  signal: AbortSignal | undefined;
  result: ForwardResult | undefined = undefined;
  index: number | undefined = undefined;
  private readonly historyBuffer: TokenBuffer;
  private readonly processors: readonly LogitsProcessor[];
  private readonly scratch: (Float32Array | undefined)[] = [];
  /** Bit h set: scratch[h] holds processed logits for the current (result, index). */
  private processedMask = 0;
  private readonly context: { head: number; history: Int32Array };

  constructor(
    vocabSize: number,
    promptLength: number,
    rng: Rng,
    signal: AbortSignal | undefined,
    history: TokenBuffer,
    processors: readonly LogitsProcessor[],
  ) {
    this.vocabSize = vocabSize;
    this.promptLength = promptLength;
    this.rng = rng;
    this.signal = signal;
    this.historyBuffer = history;
    this.processors = processors;
    this.context = { head: 0, history: history.view() };
  }

  get history(): Int32Array {
    return this.historyBuffer.view();
  }

  /** Points the view at row `index` of `result` (undefined: the last row). */
  at(result: ForwardResult, index: number | undefined): void {
    this.result = result;
    this.index = index;
    this.processedMask = 0;
  }

  /** Call after the history changed, so processed logits are recomputed. */
  invalidate(): void {
    this.processedMask = 0;
  }

  logits(head: number): Float32Array {
    const result = this.result;
    if (result === undefined || !Number.isInteger(head) || head < 0 || head >= this.heads) {
      throw new DynamoError(
        DynamoErrorCode.SAMPLER,
        `The sampler asked for the logits of head ${String(head)}; this step has heads 0..${this.heads - 1}.`,
        { details: { actual: head, expected: `0..${this.heads - 1}` } },
      );
    }
    const raw = result.logits(head, this.index);
    if (this.processors.length === 0) return raw;
    const bit = 1 << head;
    let buf = this.scratch[head];
    if (buf === undefined || buf.length !== raw.length) {
      buf = new Float32Array(raw.length);
      this.scratch[head] = buf;
    } else if ((this.processedMask & bit) !== 0) {
      return buf;
    }
    buf.set(raw);
    this.context.head = head;
    this.context.history = this.historyBuffer.view();
    for (const p of this.processors) p.process(buf, this.context);
    this.processedMask |= bit;
    return buf;
  }
}

function samplerError(message: string, details: Record<string, unknown>): DynamoError {
  return new DynamoError(DynamoErrorCode.SAMPLER, message, { details });
}

/**
 * One generation: owns its KV cache, history and buffers. `step()` runs one forward pass and
 * emits its tokens; it returns false once the generation has finished (the cache is then freed).
 */
export class Session {
  readonly opts: ResolvedOptions;
  private readonly cache: KVCache;
  private readonly history: TokenBuffer;
  private readonly promptLength: number;
  private readonly contextLength: number;
  private readonly vocabSize: number;
  private readonly modelHeads: number;
  private readonly view: View;
  private readonly draftView: View;
  private readonly stopMatcher: StopMatcher;
  private readonly decoder: IncrementalDecoder | undefined;
  private readonly one = new Int32Array(1);
  /** The last draft (speculative verification reads its distributions in the next pass). */
  private draft: Draft | undefined;
  /** Scratch for speculative verification: the target distribution, then the residual. */
  private target: Float32Array | undefined;

  /** The chunk to feed next (after prefill) and its views per length (no allocation per step). */
  private readonly pending: Int32Array;
  private readonly pendingViews: Int32Array[];
  private pendingLength = 0;

  /** Tokens emitted by the last step (a reused buffer) and their count. */
  readonly stepTokens: Int32Array;
  stepTokenCount = 0;
  /** Text released by the last step (complete UTF-8, never part of a possible stop string). */
  stepText = '';

  private readonly steps = new TokenBuffer(64);
  private readonly tokenEnds: TokenBuffer;
  private text = '';
  private released = 0;
  private searched = 0;

  private passes = 0;
  private emittedTotal = 0;
  private prefillTokens = 0;
  private prefillMs = 0;
  private decodeMs = 0;
  private forwardMs = 0;
  private readonly startTime: number;
  private finishReason: FinishReason | undefined;
  private stopString: string | undefined;
  private keptTokens = -1;
  private finalText: string | undefined;
  private proposed: number[] = [];
  private accepted: number[] = [];

  private readonly fwdPrefill: ForwardOptions;
  private readonly fwdStep: ForwardOptions;
  private readonly fwdVerify: ForwardOptions;

  constructor(opts: ResolvedOptions, startTime = now()) {
    this.opts = opts;
    this.startTime = startTime;
    const { model, promptIds, maxNewTokens, mode } = opts;
    const meta = model.metadata;
    this.contextLength = meta.contextLength;
    this.vocabSize = meta.vocabSize;
    this.modelHeads = meta.heads;
    this.promptLength = promptIds.length;
    this.history = new TokenBuffer(Math.min(this.contextLength, promptIds.length + maxNewTokens) + 1);
    this.history.pushAll(promptIds);
    this.tokenEnds = new TokenBuffer(64);

    const rng = createRng(opts.seed);
    // The drafter has its own stream, so the sampler's draws — and so the tokens — match 'ar'.
    const draftRng = createRng((rng.seed ^ 0x5bd1e995) >>> 0);
    this.view = new View(this.vocabSize, this.promptLength, rng, opts.signal, this.history, opts.processors);
    this.view.heads = opts.samplerHeads;
    this.draftView = new View(this.vocabSize, this.promptLength, draftRng, opts.signal, this.history, opts.processors);
    this.draftView.heads = this.modelHeads;

    this.stopMatcher = new StopMatcher(opts.stop);
    this.decoder = opts.tokenizer?.createDecoder({ skipSpecialTokens: opts.skipSpecialTokens });

    const chunkMax = Math.max(opts.samplerHeads, this.modelHeads) + 1;
    this.pending = new Int32Array(chunkMax);
    this.pendingViews = [];
    for (let n = 0; n <= chunkMax; n++) this.pendingViews.push(this.pending.subarray(0, n));
    this.stepTokens = new Int32Array(chunkMax + 1);

    const signal = opts.signal;
    const heads = mode === 'dynamo' && opts.samplerHeads > 1 ? 'last' : 'none';
    const verifyHeads = mode === 'verified' && this.modelHeads > 1 && opts.maxDraftTokens > 0;
    this.fwdPrefill = { positions: 'last', headPositions: verifyHeads ? 'last' : heads, signal };
    this.fwdStep = { positions: 'last', headPositions: heads, signal };
    this.fwdVerify = { positions: 'all', headPositions: verifyHeads ? opts.headRows : 'none', signal };
    this.proposed = new Array(Math.max(0, this.modelHeads - 1)).fill(0);
    this.accepted = new Array(Math.max(0, this.modelHeads - 1)).fill(0);

    opts.sampler.reset?.();
    this.cache = model.createCache();
  }

  get finished(): boolean {
    return this.finishReason !== undefined;
  }

  /**
   * Runs one forward pass and emits its tokens (`stepTokens`, `stepText`). Returns false when the
   * generation is over.
   */
  async step(): Promise<boolean> {
    if (this.finishReason !== undefined) return false;
    this.stepTokenCount = 0;
    this.stepText = '';
    const more = await this.runPass();
    this.releaseText();
    return more;
  }

  private async runPass(): Promise<boolean> {
    if (this.opts.signal?.aborted) {
      this.finish('aborted');
      return false;
    }
    const prefill = this.passes === 0;
    const t0 = now();
    let chunk: Int32Array;
    let fwd: ForwardOptions;
    if (prefill) {
      chunk = this.opts.promptIds;
      fwd = this.fwdPrefill;
    } else {
      chunk = this.pendingViews[this.pendingLength] as Int32Array;
      fwd = this.opts.mode === 'verified' ? this.fwdVerify : this.fwdStep;
    }
    let result: ForwardResult;
    try {
      result = await this.opts.model.forward(chunk, this.cache, fwd);
    } catch (error) {
      if (this.opts.signal?.aborted || isDynamoError(error, DynamoErrorCode.ABORTED)) {
        this.finish('aborted');
        return false;
      }
      this.release();
      throw error;
    }
    const forwardDone = now();
    this.passes++;
    try {
      if (this.opts.mode === 'verified') {
        if (prefill) this.verifiedFirst(result);
        else this.verifiedStep(result);
      } else {
        this.sampleStep(result);
      }
    } catch (error) {
      this.release();
      throw error;
    }
    const elapsed = now() - t0;
    this.steps.push(this.stepTokenCount);
    if (prefill) {
      this.prefillMs = elapsed;
      this.prefillTokens = this.stepTokenCount;
    } else {
      this.decodeMs += elapsed;
      this.forwardMs += forwardDone - t0;
    }
    if (this.finishReason === undefined && this.opts.signal?.aborted) this.finish('aborted');
    return this.finishReason === undefined;
  }

  /** Most tokens that may still be emitted (≥ 1 while not finished). */
  private room(): number {
    return Math.min(this.opts.maxNewTokens - this.emittedTotal, this.contextLength - this.history.length);
  }

  /** 'ar' and 'dynamo': one sampler call at the last position; feed its tokens next. */
  private sampleStep(result: ForwardResult): void {
    const view = this.view;
    view.at(result, undefined);
    view.step = this.passes - 1;
    view.maxTokens = Math.min(view.heads, this.room());
    const out = this.opts.sampler.sample(view);
    const n = this.checkSample(out, view.maxTokens);
    // Copy first: `out` may be a buffer the sampler reuses, and emitting may call processors.
    const pending = this.pending;
    for (let i = 0; i < n; i++) pending[i] = out[i] as number;
    this.pendingLength = 0;
    for (let i = 0; i < n; i++) {
      if (!this.emit(pending[i] as number)) break;
      this.pendingLength++;
    }
  }

  /** Samples one exact token (head 0) at row `index` of `result`. */
  private sampleOne(result: ForwardResult, index: number | undefined): number {
    const view = this.view;
    view.at(result, index);
    view.step = this.passes - 1;
    view.maxTokens = 1;
    const out = this.opts.sampler.sample(view);
    this.checkSample(out, 1);
    return out[0] as number;
  }

  /** 'verified', after the prefill pass: the exact next token, then drafts after it. */
  private verifiedFirst(result: ForwardResult): void {
    const next = this.sampleOne(result, undefined);
    if (!this.emit(next)) return;
    this.prepareDrafts(result, undefined, next);
  }

  /** 'verified', a verification pass over [next, d1..dm]. */
  private verifiedStep(result: ForwardResult): void {
    const m = this.pendingLength - 1;
    const base = this.cache.length - this.pendingLength; // cache length before this pass
    const pending = this.pending;
    const speculative = this.opts.verification === 'speculative';
    let index = m;
    let next = -1;
    for (let k = 1; k <= m; k++) {
      const d = pending[k] as number;
      const s = speculative ? this.speculativeCheck(result, k - 1, d) : this.sampleOne(result, k - 1);
      this.proposed[k - 1]!++;
      if (s === d) {
        this.accepted[k - 1]!++;
        if (!this.emit(s)) return;
      } else {
        next = s;
        index = k - 1;
        break;
      }
    }
    if (next < 0) next = this.sampleOne(result, m);
    if (index < m) this.cache.trim(base + index + 1);
    if (!this.emit(next)) return;
    if (this.opts.headRows === 'all') this.prepareDrafts(result, index, next);
    else if (index === m) this.prepareDrafts(result, undefined, next);
    else {
      // headRows 'last': no head logits at the rejected row; the next pass feeds `next` alone.
      this.pending[0] = next;
      this.pendingLength = 1;
    }
  }

  /**
   * Speculative sampling at row `row` for draft token `d` (the draft's position `row`): returns `d`
   * when accepted, else a token drawn from the residual normalise(max(0, p − q)).
   */
  private speculativeCheck(result: ForwardResult, row: number, d: number): number {
    const view = this.view;
    view.at(result, row);
    view.step = this.passes - 1;
    view.maxTokens = 1;
    const V = this.vocabSize;
    let p = this.target;
    if (p === undefined || p.length !== V) p = this.target = new Float32Array(V);
    (this.opts.sampler as DistributionSampler).distribution(view, p);
    const q = this.draft?.distribution?.(row);
    const pd = p[d] as number;
    const rng = view.rng;
    let mass = 0;
    if (q === undefined) {
      // Point mass on d: accept with probability p(d); the residual is p without d.
      if (pd >= 1 || rng.next() < pd) return d;
      p[d] = 0;
      for (let j = 0; j < V; j++) mass += p[j] as number;
    } else {
      const qd = q[d] as number;
      if (!(qd > 0)) {
        throw samplerError(
          `Drafter "${this.opts.drafter.name}" drafted token ${d} with probability ${String(qd)}: it cannot have been drawn.`,
          { index: row, actual: qd },
        );
      }
      if (pd >= qd || rng.next() * qd < pd) return d;
      for (let j = 0; j < V; j++) {
        const r = (p[j] as number) - (q[j] as number);
        const w = Math.max(r, 0);
        p[j] = w;
        mass += w;
      }
    }
    if (!(mass > 1e-12)) {
      // Round-off left no residual (rejection had probability ~0): draw from the target itself.
      (this.opts.sampler as DistributionSampler).distribution(view, p);
      mass = 1;
    }
    let u = rng.next() * mass;
    let last = -1;
    for (let j = 0; j < V; j++) {
      const w = p[j] as number;
      if (w <= 0) continue;
      last = j;
      u -= w;
      if (u < 0) return j;
    }
    return last;
  }

  /** Sets pending = [next, drafts...] from the extra heads at row `index`. */
  private prepareDrafts(result: ForwardResult, index: number | undefined, next: number): void {
    const pending = this.pending;
    pending[0] = next;
    this.pendingLength = 1;
    this.draft = undefined;
    // Room for drafts: the chunk must fit the context; drafts past maxNewTokens are useless.
    const cap = Math.min(this.opts.maxDraftTokens, this.room(), this.modelHeads - 1);
    if (cap <= 0) return;
    const view = this.draftView;
    view.at(result, index);
    view.step = this.passes - 1;
    view.maxTokens = cap + 1;
    const draft = this.opts.drafter.draft(view, next);
    this.draft = draft;
    const tokens = draft?.tokens;
    if (tokens === undefined || typeof tokens.length !== 'number' || tokens.length > this.modelHeads - 1) {
      throw samplerError(
        `Drafter "${this.opts.drafter.name}" returned ${tokens === undefined ? 'no tokens' : `${tokens.length} tokens`}; at most ${this.modelHeads - 1} are allowed.`,
        { expected: `0..${this.modelHeads - 1} tokens`, actual: tokens?.length },
      );
    }
    const n = Math.min(cap, tokens.length);
    for (let i = 0; i < n; i++) {
      const id = tokens[i] as number;
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw samplerError(
          `Drafter "${this.opts.drafter.name}" drafted token ${String(id)}, outside the vocabulary [0, ${this.vocabSize}).`,
          { index: i, actual: id, expected: `[0, ${this.vocabSize})` },
        );
      }
      pending[1 + i] = id;
    }
    this.pendingLength = 1 + n;
  }

  private checkSample(out: ArrayLike<number>, maxTokens: number): number {
    const name = this.opts.sampler.name;
    if (out === null || typeof out !== 'object' || typeof out.length !== 'number') {
      throw samplerError(`Sampler "${name}" returned ${String(out)} instead of an array of token ids.`, {
        actual: out,
      });
    }
    const n = out.length;
    if (n < 1 || n > maxTokens) {
      throw samplerError(`Sampler "${name}" returned ${n} tokens; this step allows 1 to ${maxTokens}.`, {
        expected: `1..${maxTokens}`,
        actual: n,
      });
    }
    for (let i = 0; i < n; i++) {
      const id = out[i] as number;
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw samplerError(
          `Sampler "${name}" returned token ${String(id)}, outside the vocabulary [0, ${this.vocabSize}).`,
          { index: i, actual: id, expected: `[0, ${this.vocabSize})` },
        );
      }
    }
    return n;
  }

  /**
   * Emits one token: eos ends the generation (not emitted); otherwise it joins the history and the
   * text, then stop strings, maxNewTokens and the context limit are checked. Returns false once
   * the generation has finished.
   */
  private emit(id: number): boolean {
    const eos = this.opts.eos;
    for (let i = 0; i < eos.length; i++) {
      if (eos[i] === id) {
        this.finish('eos');
        return false;
      }
    }
    this.history.push(id);
    this.view.invalidate();
    this.draftView.invalidate();
    this.stepTokens[this.stepTokenCount++] = id;
    this.emittedTotal++;
    if (this.decoder !== undefined && (this.stopMatcher.active || this.streaming)) {
      this.one[0] = id;
      const piece = this.decoder.push(this.one);
      if (piece.length > 0) this.text += piece;
      this.tokenEnds.push(this.text.length);
      if (this.stopMatcher.active && piece.length > 0) {
        const match = this.stopMatcher.find(this.text, this.searched);
        this.searched = this.text.length;
        if (match !== undefined) {
          this.stopAt(match.index, match.stop);
          return false;
        }
      }
    }
    if (this.emittedTotal >= this.opts.maxNewTokens) {
      this.finish('length');
      return false;
    }
    if (this.history.length >= this.contextLength) {
      this.finish('context');
      return false;
    }
    return true;
  }

  /** When true, text is decoded incrementally (stream()); otherwise decoded once at the end. */
  streaming = false;

  private stopAt(index: number, stop: string): void {
    this.stopString = stop;
    this.finalText = this.text.slice(0, index);
    // The fewest tokens whose text covers the kept text.
    const ends = this.tokenEnds.data;
    let keep = 0;
    if (index > 0) {
      while (keep < this.tokenEnds.length && (ends[keep] as number) < index) keep++;
      keep++;
    }
    this.keptTokens = keep;
    this.finish('stop');
  }

  private finish(reason: FinishReason): void {
    if (this.finishReason !== undefined) return;
    this.finishReason = reason;
    this.release();
  }

  private release(): void {
    if (!this.cache.disposed) this.cache.dispose();
  }

  /** Releases text held back for stop strings once it can no longer start one. */
  private releaseText(): void {
    if (!this.streaming || this.decoder === undefined) return;
    let end: number;
    if (this.finishReason !== undefined) {
      if (this.finalText === undefined) {
        const rest = this.decoder.flush();
        if (rest.length > 0) this.text += rest;
        this.finalText = this.text;
      }
      end = this.finalText.length;
    } else {
      end = this.text.length - this.stopMatcher.heldBack(this.text);
    }
    if (end > this.released) {
      this.stepText = (this.finalText ?? this.text).slice(this.released, end);
      this.released = end;
    }
  }

  /** Aborts from outside (stream consumer gave up): frees the cache. */
  cancel(): void {
    this.finish('aborted');
    this.releaseText();
  }

  /** The result; call once finished. */
  result(): GenerateResult {
    const reason = this.finishReason ?? 'aborted';
    const generated = this.history.length - this.promptLength;
    const keep = this.keptTokens >= 0 ? Math.min(this.keptTokens, generated) : generated;
    const tokens = this.history.toArray(this.promptLength).slice(0, keep);
    let text = '';
    if (this.finalText !== undefined) text = this.finalText;
    else if (this.opts.tokenizer !== undefined) {
      if (this.decoder !== undefined && this.streaming) text = this.text + this.decoder.flush();
      else text = this.opts.tokenizer.decode(tokens, { skipSpecialTokens: this.opts.skipSpecialTokens });
    }
    const endTime = now();
    const totalMs = endTime - this.startTime;
    const passes = this.passes;
    const decodeTokens = this.emittedTotal - this.prefillTokens;
    const runMs = this.prefillMs + this.decodeMs;
    const stats: GenerationStats = {
      mode: this.opts.mode,
      device: this.opts.model.metadata.device,
      promptTokens: this.promptLength,
      tokens: this.emittedTotal,
      forwardPasses: passes,
      tokensPerPass: passes > 0 ? this.emittedTotal / passes : 0,
      prefillMs: this.prefillMs,
      decodeMs: this.decodeMs,
      forwardMs: this.forwardMs,
      selectMs: this.decodeMs - this.forwardMs,
      totalMs,
      tokensPerSecond: this.decodeMs > 0 ? (decodeTokens * 1000) / this.decodeMs : 0,
      overallTokensPerSecond: runMs > 0 ? (this.emittedTotal * 1000) / runMs : 0,
      ...(this.opts.mode === 'verified' && {
        acceptance: {
          proposed: [...this.proposed],
          accepted: [...this.accepted],
          rate: this.proposed.map((p, i) => (p > 0 ? (this.accepted[i] as number) / p : 0)),
        },
      }),
    };
    return {
      text,
      tokens,
      promptIds: Array.from(this.opts.promptIds),
      steps: this.steps.toArray(),
      finishReason: reason,
      aborted: reason === 'aborted',
      ...(this.stopString !== undefined && { stopString: this.stopString }),
      stats,
    };
  }
}
