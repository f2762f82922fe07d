import {
  DynamoError,
  DynamoErrorCode,
  type ForwardOptions,
  type ForwardResult,
  type KVCache,
  type MultiTokenModel,
  type PositionSelection,
  type TextTokenizer,
} from '@dynamojs/core';

class ScriptCache implements KVCache {
  tokens: number[] = [];
  /** Length of the prompt (the first chunk this cache saw). */
  promptLength = -1;
  disposed = false;
  get length(): number {
    return this.tokens.length;
  }
  trim(length: number): void {
    if (this.disposed) throw new DynamoError(DynamoErrorCode.DISPOSED, 'cache disposed');
    this.tokens.length = length;
  }
  compact(keep: ArrayLike<number>): void {
    if (this.disposed) throw new DynamoError(DynamoErrorCode.DISPOSED, 'cache disposed');
    this.tokens = Array.from(keep, (i) => this.tokens[i] as number);
  }
  dispose(): void {
    this.disposed = true;
  }
}

function rows(selection: PositionSelection | 'none', chunk: number): number {
  if (selection === 'none') return 0;
  if (selection === 'last') return 1;
  if (selection === 'all') return chunk;
  return Math.min(selection, chunk);
}

/**
 * A model that "knows" one continuation: after any prompt, head 0 puts all its mass on the next
 * token of `script` (then eos), and head h on the token h places later — so DynaMo, verified and
 * ar all produce exactly `script` at temperature 0, DynaMo in multi-token steps.
 */
export class ScriptedModel implements MultiTokenModel {
  readonly metadata;
  readonly caches: ScriptCache[] = [];
  readonly script: readonly number[];
  forwardCalls = 0;
  /** Resolve forward passes on a later turn of the event loop (lets a test abort between passes). */
  delayMs = 0;

  constructor(tokenizer: TextTokenizer, text: string, options: { heads?: number; contextLength?: number } = {}) {
    this.script = tokenizer.encode(text);
    this.metadata = {
      name: 'scripted',
      heads: options.heads ?? 3,
      vocabSize: tokenizer.vocabSize,
      contextLength: options.contextLength ?? 256,
      specialTokens: tokenizer.specialTokens,
      device: 'fake',
    };
  }

  createCache(): KVCache {
    const cache = new ScriptCache();
    this.caches.push(cache);
    return cache;
  }

  /** The token expected at sequence length `length` (prompt included), eos after the script. */
  private target(cache: ScriptCache, length: number): number {
    const i = length - cache.promptLength;
    return this.script[i] ?? (this.metadata.specialTokens.eos as number);
  }

  async forward(newTokens: ArrayLike<number>, kv: KVCache, options: ForwardOptions = {}): Promise<ForwardResult> {
    const cache = kv as ScriptCache;
    if (cache.disposed) throw new DynamoError(DynamoErrorCode.DISPOSED, 'cache disposed');
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    this.forwardCalls++;
    if (cache.promptLength < 0) cache.promptLength = newTokens.length;
    const before = cache.tokens.length;
    cache.tokens.push(...Array.from(newTokens));
    const chunk = newTokens.length;
    const baseRows = rows(options.positions ?? 'last', chunk);
    const headSelection = options.headPositions ?? options.positions ?? 'last';
    if (typeof headSelection === 'object') throw new Error('the script model does not model lists of head rows');
    const headRows = rows(headSelection, chunk);
    const V = this.metadata.vocabSize;
    const heads = headRows === 0 ? 1 : this.metadata.heads;
    const out = (head: number, index: number): Float32Array => {
      const count = head === 0 ? baseRows : headRows;
      const row = chunk - count + index; // index within the chunk
      const length = before + row + 1; // sequence length after that row
      const logits = new Float32Array(V).fill(-5);
      logits[this.target(cache, length + head)] = 10;
      return logits;
    };
    return {
      heads,
      positionCount: baseRows,
      headPositionCount: headRows,
      logits: (head: number, index?: number) => out(head, index ?? (head === 0 ? baseRows : headRows) - 1),
    };
  }

  async dispose(): Promise<void> {}
}
