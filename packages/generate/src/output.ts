import type { IncrementalDecoder } from '@dynamojs/core';
import { TokenBuffer } from './buffers.js';
import type { ConstraintTracker } from './constraintTracker.js';
import type { ResolvedOptions } from './resolvedOptions.js';
import { StopMatcher } from './stop.js';
import type { FinishReason } from './types.js';

/**
 * What a generation has emitted and when it ends: the history (prompt + generated tokens), the
 * tokens of the current step, the text (decoded incrementally when streaming or when stop strings
 * are watched), stop strings, eos, maxNewTokens and the context limit. Every mode emits through
 * {@link Output.emit}, one token at a time, so the rules are the same for one token per pass,
 * multi-token emissions and verified drafts.
 */
export class Output {
  readonly history: TokenBuffer;
  readonly promptLength: number;
  /** Tokens emitted by the current step (a reused buffer). */
  readonly stepTokens = new TokenBuffer(8);
  /** Text released by the current step (complete UTF-8, never part of a possible stop string). */
  stepText = '';
  /** Tokens emitted so far (eos excluded). */
  emitted = 0;
  /** When true, text is decoded incrementally (stream()); otherwise decoded once at the end. */
  streaming = false;
  finishReason: FinishReason | undefined = undefined;
  stopString: string | undefined = undefined;

  private readonly opts: ResolvedOptions;
  private readonly contextLength: number;
  private readonly stopMatcher: StopMatcher;
  private readonly decoder: IncrementalDecoder | undefined;
  private readonly tokenEnds = new TokenBuffer(64);
  private readonly one = new Int32Array(1);
  private readonly onHistoryChange: () => void;
  private text = '';
  private released = 0;
  private searched = 0;
  private keptTokens = -1;
  private finalText: string | undefined;
  private readonly onFinish: (reason: FinishReason) => void;
  /** The grammar, advanced on every emitted token (undefined: unconstrained). */
  readonly constraint: ConstraintTracker | undefined;

  constructor(
    opts: ResolvedOptions,
    onHistoryChange: () => void,
    onFinish: (reason: FinishReason) => void,
    constraint?: ConstraintTracker,
  ) {
    this.constraint = constraint;
    this.opts = opts;
    this.contextLength = opts.model.metadata.contextLength;
    this.promptLength = opts.promptIds.length;
    this.history = new TokenBuffer(Math.min(this.contextLength, this.promptLength + opts.maxNewTokens) + 1);
    this.history.pushAll(opts.promptIds);
    this.stopMatcher = new StopMatcher(opts.stop);
    this.decoder = opts.tokenizer?.createDecoder({ skipSpecialTokens: opts.skipSpecialTokens });
    this.onHistoryChange = onHistoryChange;
    this.onFinish = onFinish;
  }

  get finished(): boolean {
    return this.finishReason !== undefined;
  }

  /** Most tokens that may still be emitted (≥ 1 while not finished). */
  room(): number {
    return Math.min(this.opts.maxNewTokens - this.emitted, this.contextLength - this.history.length);
  }

  beginStep(): void {
    this.stepTokens.truncate(0);
    this.stepText = '';
  }

  /**
   * Emits one token: eos ends the generation (not emitted); otherwise it joins the history and the
   * text, then stop strings, maxNewTokens and the context limit are checked. With a constraint the
   * grammar accepts it first (a token it rejects is not emitted) and a grammar that admits nothing
   * after it ends the generation with `'constraint'`. Returns false once the generation has finished.
   */
  emit(id: number): boolean {
    const eos = this.opts.eos;
    const constraint = this.constraint;
    constraint?.restore();
    for (let i = 0; i < eos.length; i++) {
      if (eos[i] === id) {
        // a grammar that is not complete does not admit eos
        this.finish(constraint === undefined || constraint.isAllowed(id) ? 'eos' : 'constraint');
        return false;
      }
    }
    if (constraint !== undefined && !constraint.accept(id)) {
      this.finish('constraint');
      return false;
    }
    this.history.push(id);
    this.onHistoryChange();
    this.stepTokens.push(id);
    this.emitted++;
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
    if (this.emitted >= this.opts.maxNewTokens) {
      this.finish('length');
      return false;
    }
    if (this.history.length >= this.contextLength) {
      this.finish('context');
      return false;
    }
    if (constraint?.deadEnd()) {
      this.finish('constraint');
      return false;
    }
    return true;
  }

  finish(reason: FinishReason): void {
    if (this.finishReason !== undefined) return;
    this.finishReason = reason;
    this.onFinish(reason);
  }

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

  /** Releases text held back for stop strings once it can no longer start one (streaming). */
  releaseText(): void {
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

  /** The generated tokens (prompt and eos excluded; cut at a stop string). */
  tokens(): number[] {
    const generated = this.history.length - this.promptLength;
    const keep = this.keptTokens >= 0 ? Math.min(this.keptTokens, generated) : generated;
    return this.history.toArray(this.promptLength).slice(0, keep);
  }

  /** The generated text (ending right before a matched stop string). */
  finalTextOf(tokens: readonly number[]): string {
    if (this.finalText !== undefined) return this.finalText;
    const tokenizer = this.opts.tokenizer;
    if (tokenizer === undefined) return '';
    if (this.decoder !== undefined && this.streaming) return this.text + this.decoder.flush();
    return tokenizer.decode(tokens, { skipSpecialTokens: this.opts.skipSpecialTokens });
  }
}
