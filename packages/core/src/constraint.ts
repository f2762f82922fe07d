/**
 * Structured output: a grammar that decides, position by position, which tokens may come next.
 * Generation masks the base head's logits with it in every mode, advances it on every emitted
 * token, and emits the tokens it forces (exactly one admitted) without asking the model.
 * `@dynamojs/structured` implements it with XGrammar (JSON schema, regular expressions, EBNF).
 *
 * Masks are bitmasks: bit `t & 31` of word `t >> 5` is set when token t is allowed
 * ({@link maskWords}, {@link isMaskAllowed}, {@link maskCount}, {@link maskSingle}).
 */

/** Options of {@link Constraint.start}. */
export interface ConstraintStartOptions {
  /**
   * The generation's end tokens (eos): where the grammar is complete they are what it admits.
   * Empty: the grammar admits nothing once complete (generation then ends with `'constraint'`).
   */
  readonly stopTokens?: ArrayLike<number>;
}

/** A compiled grammar for one vocabulary; `start()` makes one generation's state. Reusable. */
export interface Constraint {
  readonly name: string;
  /** The vocabulary the grammar was compiled for (tokens at or above it are never allowed). */
  readonly vocabSize: number;
  /** A fresh state at the grammar's start. Synchronous: compile ahead (the engine is async). */
  start(options?: ConstraintStartOptions): ConstraintState;
}

/**
 * One generation's position in the grammar. Stateful; `advance` / `rollback` move it along the
 * tokens, `fork` copies it. Implementations cache the mask until the state moves.
 */
export interface ConstraintState {
  /** Tokens advanced so far (what `rollback` may undo). */
  readonly length: number;
  /**
   * Writes the allowed-token bitmask of the next token into `mask` (length ≥
   * `maskWords(vocabSize)`; words past the constraint's vocabulary are left at 0).
   */
  fillMask(mask: Uint32Array): void;
  /** Accepts `token`: false (and the state unchanged) when the grammar does not admit it. */
  advance(token: number): boolean;
  /** Undoes the last `count` accepted tokens (0 ≤ count ≤ length). */
  rollback(count: number): void;
  /** An independent copy at the same position. */
  fork(): ConstraintState;
  /** The one token the grammar admits next, or -1 when it admits several or none. */
  forcedToken(): number;
  /** Whether the grammar has accepted a stop token (nothing may follow). */
  isTerminated(): boolean;
  /** Frees the engine's resources (idempotent). */
  dispose(): void;
}

/**
 * What a sampler or drafter sees of the constraint at its step (`StepView.constraint`): the
 * grammar after the history, and a probe to look ahead along tokens it is considering. Every
 * `push` must be undone with `pop` before the call returns (generation restores it anyway).
 */
export interface DraftConstraint {
  /** The allowed-token bitmask after the history and the pushed tokens (a reused buffer; read only). */
  mask(): Uint32Array;
  /** Whether `token` is admitted after the history and the pushed tokens. */
  isAllowed(token: number): boolean;
  /** The one token admitted there, or -1. */
  forcedToken(): number;
  /** Looks one token ahead: false (nothing pushed) when the grammar does not admit it. */
  push(token: number): boolean;
  /** Undoes the last `count` pushes (default 1). */
  pop(count?: number): void;
  /** Tokens pushed and not popped. */
  readonly depth: number;
}

/** Words of a bitmask over `vocabSize` tokens. */
export function maskWords(vocabSize: number): number {
  return (vocabSize + 31) >>> 5;
}

/** Whether token `t` is set in `mask`. */
export function isMaskAllowed(mask: Uint32Array, t: number): boolean {
  return t >= 0 && (((mask[t >>> 5] ?? 0) >>> (t & 31)) & 1) === 1;
}

/** Allowed tokens in `mask` among the first `vocabSize`. */
export function maskCount(mask: Uint32Array, vocabSize: number): number {
  let n = 0;
  const words = Math.min(mask.length, maskWords(vocabSize));
  for (let w = 0; w < words; w++) {
    let v = mask[w] as number;
    if (w === words - 1 && (vocabSize & 31) !== 0) v &= (1 << (vocabSize & 31)) - 1;
    v -= (v >>> 1) & 0x55555555;
    v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
    n += (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
  }
  return n;
}

/** The only allowed token of `mask` among the first `vocabSize`, or -1 (none or several). */
export function maskSingle(mask: Uint32Array, vocabSize: number): number {
  let found = -1;
  const words = Math.min(mask.length, maskWords(vocabSize));
  for (let w = 0; w < words; w++) {
    let v = mask[w] as number;
    if (w === words - 1 && (vocabSize & 31) !== 0) v &= (1 << (vocabSize & 31)) - 1;
    if (v === 0) continue;
    if (found >= 0 || (v & (v - 1)) !== 0) return -1;
    found = w * 32 + (31 - Math.clz32(v));
  }
  return found;
}

/** Sets every logit whose token `mask` disallows to -Infinity, in place. */
export function applyTokenMask(logits: Float32Array, mask: Uint32Array): void {
  const n = logits.length;
  for (let w = 0, base = 0; base < n; w++, base += 32) {
    const v = (mask[w] ?? 0) >>> 0;
    if (v === 0xffffffff) continue;
    const end = Math.min(32, n - base);
    for (let b = 0; b < end; b++) if (((v >>> b) & 1) === 0) logits[base + b] = Number.NEGATIVE_INFINITY;
  }
}

/** True when `value` has the shape of a {@link Constraint}. */
export function isConstraint(value: unknown): value is Constraint {
  const c = value as Partial<Constraint> | null;
  return typeof c === 'object' && c !== null && typeof c.start === 'function' && typeof c.vocabSize === 'number';
}
