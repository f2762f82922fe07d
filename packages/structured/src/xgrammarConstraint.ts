import {
  type Constraint,
  type ConstraintStartOptions,
  type ConstraintState,
  DynamoError,
  DynamoErrorCode,
  maskSingle,
  maskWords,
} from '@dynamojs/core';

// biome-ignore lint/suspicious/noExplicitAny: embind handles of the WebAssembly engine
type Handle = any;

/** The engine pieces one compiled grammar needs to make matchers synchronously. */
export interface CompiledParts {
  /** The CompiledGrammar's handle. */
  readonly compiled: Handle;
  /** The embind GrammarMatcher class and std::vector<int32_t> class (taken from a first matcher). */
  readonly Matcher: new (
    compiled: Handle,
    stop: Handle,
    terminateWithoutStop: boolean,
    rollback: number,
  ) => Handle;
  readonly IntVector: new () => Handle;
  /** Frees the compiled grammar. */
  readonly dispose: () => void;
}

/**
 * A grammar compiled by XGrammar for one vocabulary, as a {@link Constraint}: each `start()` makes
 * a GrammarMatcher (a pushdown automaton with rollback) for one generation.
 */
export class XGrammarConstraint implements Constraint {
  readonly name: string;
  readonly vocabSize: number;
  /** What the grammar came from (`json-schema`, `regex`, `grammar`, `json`). */
  readonly kind: string;
  /** The compile time, ms. */
  readonly compileMs: number;
  private readonly parts: CompiledParts;
  private disposed = false;

  constructor(kind: string, name: string, vocabSize: number, parts: CompiledParts, compileMs: number) {
    this.kind = kind;
    this.name = name;
    this.vocabSize = vocabSize;
    this.parts = parts;
    this.compileMs = compileMs;
  }

  start(options: ConstraintStartOptions = {}): ConstraintState {
    if (this.disposed) {
      throw new DynamoError(DynamoErrorCode.DISPOSED, `The ${this.kind} constraint was disposed.`);
    }
    return XGrammarState.create(this.parts, this.vocabSize, options.stopTokens, []);
  }

  /** Frees the compiled grammar (states already started keep working until disposed). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.parts.dispose();
  }
}

class XGrammarState implements ConstraintState {
  private readonly parts: CompiledParts;
  private readonly vocabSize: number;
  private readonly stop: readonly number[] | undefined;
  private handle: Handle;
  /** Accepted tokens, in order (what `fork` replays). */
  private readonly tokens: number[];
  private readonly cache: Uint32Array;
  private cached = false;

  static create(
    parts: CompiledParts,
    vocabSize: number,
    stopTokens: ArrayLike<number> | undefined,
    replay: readonly number[],
  ): XGrammarState {
    const stop = stopTokens === undefined ? undefined : Array.from(stopTokens);
    let vector: Handle;
    // no stop tokens: the engine's own (the tokenizer's eos) with termination once complete —
    // the engine refuses an empty list
    if (stop !== undefined && stop.length > 0) {
      vector = new parts.IntVector();
      for (const t of stop) vector.push_back(t);
    }
    const handle = new parts.Matcher(parts.compiled, vector, stop !== undefined && stop.length === 0, -1);
    vector?.delete();
    const state = new XGrammarState(parts, vocabSize, stop, handle);
    for (const t of replay) state.advance(t);
    return state;
  }

  private constructor(parts: CompiledParts, vocabSize: number, stop: readonly number[] | undefined, handle: Handle) {
    this.parts = parts;
    this.vocabSize = vocabSize;
    this.stop = stop;
    this.handle = handle;
    this.tokens = [];
    this.cache = new Uint32Array(maskWords(vocabSize));
  }

  get length(): number {
    return this.tokens.length;
  }

  fillMask(mask: Uint32Array): void {
    const cache = this.ensureMask();
    const n = Math.min(mask.length, cache.length);
    for (let i = 0; i < n; i++) mask[i] = cache[i] as number;
  }

  advance(token: number): boolean {
    this.check();
    if (!Number.isInteger(token) || token < 0 || token >= this.vocabSize) return false;
    if (this.handle.IsTerminated()) return false;
    if (!this.handle.AcceptToken(token, false)) return false;
    this.tokens.push(token);
    this.cached = false;
    return true;
  }

  rollback(count: number): void {
    this.check();
    if (!Number.isInteger(count) || count < 0 || count > this.tokens.length) {
      throw new DynamoError(
        DynamoErrorCode.INVALID_OPTION,
        `Cannot roll the grammar back ${String(count)} tokens; it has accepted ${this.tokens.length}.`,
        { details: { option: 'count', expected: `0..${this.tokens.length}`, actual: count } },
      );
    }
    if (count === 0) return;
    this.handle.Rollback(count);
    this.tokens.length -= count;
    this.cached = false;
  }

  fork(): ConstraintState {
    this.check();
    return XGrammarState.create(this.parts, this.vocabSize, this.stop, this.tokens);
  }

  forcedToken(): number {
    return maskSingle(this.ensureMask(), this.vocabSize);
  }

  isTerminated(): boolean {
    this.check();
    return this.handle.IsTerminated() as boolean;
  }

  dispose(): void {
    if (this.handle === undefined) return;
    this.handle.delete();
    this.handle = undefined;
  }

  private ensureMask(): Uint32Array {
    this.check();
    if (this.cached) return this.cache;
    if (this.handle.IsTerminated()) {
      // after a stop token nothing follows (and the engine has no mask to give)
      this.cache.fill(0);
      this.cached = true;
      return this.cache;
    }
    const vector = this.handle.GetNextTokenBitmask(this.vocabSize);
    try {
      const n = Math.min(vector.size() as number, this.cache.length);
      const cache = this.cache;
      for (let i = 0; i < n; i++) cache[i] = vector.get(i) as number;
    } finally {
      vector.delete();
    }
    this.cached = true;
    return this.cache;
  }

  private check(): void {
    if (this.handle === undefined) {
      throw new DynamoError(DynamoErrorCode.DISPOSED, 'This grammar state was disposed.');
    }
  }
}
