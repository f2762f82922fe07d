import {
  checkHeadRows,
  checkTokenTree,
  type Drafter,
  DynamoError,
  DynamoErrorCode,
  type ForwardOptions,
  type ForwardResult,
  type IncrementalDecoder,
  isDynamoError,
  type KVCache,
  type MultiTokenModel,
  type PositionSelection,
  type Sampler,
  type StepView,
  type TextTokenizer,
} from '@dynamojs/core';
import { expect } from 'vitest';

function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

function hash(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) h = mix(h ^ (p + 0x9e3779b9));
  return h;
}

export interface FakeModelOptions {
  vocabSize?: number;
  heads?: number;
  contextLength?: number;
  eos?: number;
  seed?: number;
  /** How often an extra head's top-1 is the base model's greedy continuation (0..1). */
  headAccuracy?: number;
  /** Yield to the event loop inside forward (to interleave concurrent generations). */
  async?: boolean;
  /** Scale of the base logits (larger: peakier distributions). */
  scale?: number;
  /** Logits excluding the eos token (keeps runs long). */
  avoidEos?: boolean;
  device?: string;
  /**
   * Whether forward accepts any token tree (`metadata.treeAttention`). Default true; false makes a
   * chain-only model that throws DYNAMO_UNSUPPORTED for branching trees, like a graph without tree
   * inputs.
   */
  treeAttention?: boolean;
}

export interface ForwardCall {
  tokens: number[];
  cacheLengthBefore: number;
  positions: PositionSelection;
  headPositions: PositionSelection | 'none';
  /** The tree's parents when the call passed `options.tree`. */
  parents?: number[];
  /** The extra heads' nodes when the call listed them. */
  headRows?: number[];
}

class FakeCache implements KVCache {
  /** Token at each cached position (after a tree pass: the tree's nodes in node order). */
  tokens: number[] = [];
  disposed = false;
  busy = false;
  trims: number[] = [];
  /** Every compact(keep) call's keep, in order. */
  compactions: number[][] = [];
  base: Float32Array[] = [];
  heads: Float32Array[] = [];
  constructor(readonly owner: FakeModel) {}
  get length(): number {
    return this.tokens.length;
  }
  trim(length: number): void {
    if (this.disposed) throw new DynamoError(DynamoErrorCode.DISPOSED, 'cache disposed');
    if (!Number.isInteger(length) || length < 0 || length > this.tokens.length) {
      throw new DynamoError(DynamoErrorCode.CACHE_STATE, `bad trim ${length}`);
    }
    this.trims.push(length);
    this.tokens.length = length;
  }
  /** Keeps the tokens at `keep` (strictly increasing positions < length), like a real cache's rows. */
  compact(keep: ArrayLike<number>): void {
    if (this.disposed) throw new DynamoError(DynamoErrorCode.DISPOSED, 'cache disposed');
    if (this.busy) throw new DynamoError(DynamoErrorCode.CACHE_STATE, 'compact during a forward pass');
    for (let i = 0; i < keep.length; i++) {
      const k = keep[i] as number;
      if (!Number.isInteger(k) || k < (i === 0 ? 0 : (keep[i - 1] as number) + 1) || k >= this.tokens.length) {
        throw new DynamoError(DynamoErrorCode.CACHE_STATE, `bad compact: keep[${i}] = ${k}`, { details: { index: i } });
      }
    }
    this.compactions.push(Array.from(keep));
    this.tokens = Array.from(keep, (k) => this.tokens[k] as number);
  }
  dispose(): void {
    this.disposed = true;
  }
}

/**
 * A deterministic, table-free fake DynaMo model. Head 0 at a position depends on the last two
 * tokens (a hash → logits). Head h (≥ 1) puts a strong peak on the base model's greedy h-step
 * continuation, except where a hash makes it wrong (so verification sees both accepts and rejects).
 *
 * Token trees (`options.tree`) have the real semantics: node i's logits are those after the cache
 * followed by its root-to-node path, every node is appended to the cache in node order, and
 * `compact(keep)` keeps those positions' tokens (so the accepted path becomes the history).
 */
export class FakeModel implements MultiTokenModel {
  readonly metadata;
  readonly calls: ForwardCall[] = [];
  readonly caches: FakeCache[] = [];
  readonly o: Required<Omit<FakeModelOptions, 'eos' | 'device'>> & { eos: number | undefined };

  constructor(options: FakeModelOptions = {}) {
    this.o = {
      vocabSize: options.vocabSize ?? 16,
      heads: options.heads ?? 3,
      contextLength: options.contextLength ?? 256,
      eos: options.eos,
      seed: options.seed ?? 1,
      headAccuracy: options.headAccuracy ?? 0.7,
      async: options.async ?? false,
      scale: options.scale ?? 4,
      avoidEos: options.avoidEos ?? true,
      treeAttention: options.treeAttention ?? true,
    };
    this.metadata = {
      name: 'fake',
      heads: this.o.heads,
      vocabSize: this.o.vocabSize,
      contextLength: this.o.contextLength,
      specialTokens: this.o.eos === undefined ? {} : { eos: this.o.eos },
      device: options.device ?? 'fake',
      treeAttention: this.o.treeAttention,
    };
  }

  /** Base (head 0) logits after the given context. */
  baseLogits(prefix: ArrayLike<number>, out = new Float32Array(this.o.vocabSize)): Float32Array {
    const n = prefix.length;
    const a = n >= 2 ? (prefix[n - 2] as number) : -1;
    const b = n >= 1 ? (prefix[n - 1] as number) : -1;
    for (let v = 0; v < this.o.vocabSize; v++) {
      out[v] = (this.o.scale * hash(this.o.seed, a, b, v)) / 4294967296;
    }
    if (this.o.avoidEos && this.o.eos !== undefined) out[this.o.eos] = -1e9;
    return out;
  }

  /** Base-model softmax probabilities after the context. */
  baseProbs(prefix: ArrayLike<number>): Float64Array {
    const l = this.baseLogits(prefix);
    let max = Number.NEGATIVE_INFINITY;
    for (const x of l) max = Math.max(max, x);
    const p = new Float64Array(l.length);
    let s = 0;
    for (let i = 0; i < l.length; i++) s += p[i] = Math.exp((l[i] as number) - max);
    for (let i = 0; i < l.length; i++) p[i] = (p[i] as number) / s;
    return p;
  }

  private greedyNext(prefix: number[]): number {
    const l = this.baseLogits(prefix);
    let best = 0;
    for (let v = 1; v < l.length; v++) if ((l[v] as number) > (l[best] as number)) best = v;
    return best;
  }

  private headLogits(prefix: number[], head: number, out: Float32Array): void {
    const ctx = prefix.slice();
    let tok = 0;
    for (let i = 0; i <= head; i++) {
      tok = this.greedyNext(ctx);
      ctx.push(tok);
    }
    const h = hash(this.o.seed + 7, prefix.length, prefix[prefix.length - 1] ?? -1, head);
    const right = h / 4294967296 < this.o.headAccuracy;
    const target = right ? tok : (tok + 1 + (h % (this.o.vocabSize - 1))) % this.o.vocabSize;
    for (let v = 0; v < this.o.vocabSize; v++)
      out[v] = (2 * hash(this.o.seed + 3, head, prefix.length, v)) / 4294967296;
    out[target] = 6;
    if (this.o.avoidEos && this.o.eos !== undefined && target !== this.o.eos) out[this.o.eos] = -1e9;
  }

  createCache(): KVCache {
    const cache = new FakeCache(this);
    this.caches.push(cache);
    return cache;
  }

  async forward(newTokens: ArrayLike<number>, kv: KVCache, options: ForwardOptions = {}): Promise<ForwardResult> {
    if (options.signal?.aborted) throw new DynamoError(DynamoErrorCode.ABORTED, 'aborted');
    const cache = kv as FakeCache;
    if (!(cache instanceof FakeCache) || cache.owner !== this) {
      throw new DynamoError(DynamoErrorCode.CACHE_STATE, 'cache of another model');
    }
    if (cache.disposed) throw new DynamoError(DynamoErrorCode.DISPOSED, 'cache disposed');
    const n = newTokens.length;
    if (n < 1) throw new DynamoError(DynamoErrorCode.INVALID_OPTION, 'empty chunk');
    for (let i = 0; i < n; i++) {
      const t = newTokens[i] as number;
      if (!Number.isInteger(t) || t < 0 || t >= this.o.vocabSize) {
        throw new DynamoError(DynamoErrorCode.TOKEN_OUT_OF_RANGE, `token ${t}`);
      }
    }
    if (cache.length + n > this.o.contextLength) {
      throw new DynamoError(DynamoErrorCode.CONTEXT_OVERFLOW, `context ${cache.length + n} > ${this.o.contextLength}`);
    }
    const tree = options.tree;
    const chain = tree === undefined || checkTokenTree(tree, n);
    if (!chain && !this.o.treeAttention) {
      throw new DynamoError(DynamoErrorCode.UNSUPPORTED, 'fake chain-only model: no tree inputs; chains still work', {
        details: { option: 'tree' },
      });
    }
    const positions = options.positions ?? 'last';
    const headSelection = options.headPositions ?? positions;
    const headList = typeof headSelection === 'object' ? Array.from(headSelection) : undefined;
    if (headList !== undefined) checkHeadRows(headList, n);
    const headPositions: PositionSelection | 'none' =
      headList === undefined ? (headSelection as PositionSelection | 'none') : headList.length === 0 ? 'none' : 'all';
    this.calls.push({
      tokens: Array.from(newTokens),
      cacheLengthBefore: cache.length,
      positions,
      headPositions,
      ...(headList && { headRows: headList }),
      ...(tree && { parents: Array.from(tree.parents) }),
    });
    const before = cache.length;
    const history = cache.tokens.slice();
    for (let i = 0; i < n; i++) cache.tokens.push(newTokens[i] as number);
    /** The context after node i: the cache, then the root-to-node path (the chunk's prefix for a chain). */
    const contextOf = (node: number): number[] => {
      if (chain) return cache.tokens.slice(0, before + node + 1);
      const path: number[] = [];
      for (let i = node; i >= 0; i = tree.parents[i] as number) path.push(newTokens[i] as number);
      return history.concat(path.reverse());
    };
    cache.busy = true;
    try {
      if (this.o.async) await new Promise((r) => setTimeout(r, 0));
    } finally {
      cache.busy = false;
    }

    const count = (sel: PositionSelection | 'none'): number =>
      sel === 'none' ? 0 : sel === 'last' ? 1 : sel === 'all' ? n : Math.min(n, sel);
    const k0 = count(positions);
    // the nodes that get the extra heads: a list as given, else the last k1
    const headNodes =
      this.o.heads <= 1
        ? []
        : (headList ?? Array.from({ length: count(headPositions) }, (_, j) => n - count(headPositions) + j));
    const k1 = headNodes.length;
    const V = this.o.vocabSize;
    // Fresh buffers per call: rows from an older call would be stale in a real runtime anyway.
    const base = Array.from({ length: k0 }, (_, j) => this.baseLogits(contextOf(n - k0 + j)));
    const heads = headNodes.map((node) => {
      const prefix = contextOf(node);
      const rows: Float32Array[] = [];
      for (let h = 1; h < this.o.heads; h++) {
        const row = new Float32Array(V);
        this.headLogits(prefix, h, row);
        rows.push(row);
      }
      return rows;
    });
    return {
      heads: k1 > 0 ? this.o.heads : 1,
      positionCount: k0,
      headPositionCount: k1,
      headRows: headNodes,
      logits(head: number, index?: number): Float32Array {
        if (head === 0) {
          const i = index ?? k0 - 1;
          const row = base[i];
          if (!row) throw new DynamoError(DynamoErrorCode.INVALID_OPTION, `no base row ${i}`);
          return row;
        }
        const i = index ?? k1 - 1;
        const row = heads[i]?.[head - 1];
        if (!row) throw new DynamoError(DynamoErrorCode.INVALID_OPTION, `no head ${head} row ${i}`);
        return row;
      },
    };
  }

  async dispose(): Promise<void> {}

  /** The greedy continuation of the base model. */
  greedy(prompt: number[], n: number): number[] {
    const ctx = prompt.slice();
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = this.greedyNext(ctx);
      ctx.push(t);
      out.push(t);
    }
    return out;
  }
}

/**
 * A fake byte-level tokenizer: token i decodes to PIECES[i] (bytes). Tokens 14 and 15 are the two
 * UTF-8 bytes of "é", so a character can be split across tokens.
 */
export const PIECES: (string | number[])[] = [
  '<eos>',
  'a',
  'b',
  ' ',
  'END',
  'E',
  'ND',
  '.',
  'hello',
  ' world',
  'x',
  'y',
  'z',
  '\n',
  [0xc3],
  [0xa9],
];

const encoder = new TextEncoder();

function bytesOf(id: number): Uint8Array {
  const p = PIECES[id];
  if (p === undefined) throw new Error(`no piece ${id}`);
  return typeof p === 'string' ? encoder.encode(p) : Uint8Array.from(p);
}

export class FakeTokenizer implements TextTokenizer {
  readonly vocabSize = PIECES.length;
  readonly specialTokens = { eos: 0 };
  readonly hash = 'fake';

  encode(text: string): number[] {
    // Greedy longest match over string pieces.
    const out: number[] = [];
    let i = 0;
    while (i < text.length) {
      let best = -1;
      let bestLen = 0;
      PIECES.forEach((p, id) => {
        if (id === 0 || typeof p !== 'string') return;
        if (p.length > bestLen && text.startsWith(p, i)) {
          best = id;
          bestLen = p.length;
        }
      });
      if (best < 0) throw new Error(`cannot encode ${text.slice(i)}`);
      out.push(best);
      i += bestLen;
    }
    return out;
  }

  decode(ids: ArrayLike<number>, options: { skipSpecialTokens?: boolean } = {}): string {
    const skip = options.skipSpecialTokens ?? true;
    const bytes: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      if (id === 0 && skip) continue;
      bytes.push(...bytesOf(id));
    }
    return new TextDecoder().decode(Uint8Array.from(bytes));
  }

  createDecoder(options: { skipSpecialTokens?: boolean } = {}): IncrementalDecoder {
    const skip = options.skipSpecialTokens ?? true;
    const td = new TextDecoder();
    let text = '';
    return {
      push(ids: ArrayLike<number>): string {
        let out = '';
        for (let i = 0; i < ids.length; i++) {
          const id = ids[i] as number;
          if (id === 0 && skip) continue;
          out += td.decode(bytesOf(id), { stream: true });
        }
        text += out;
        return out;
      },
      flush(): string {
        const out = td.decode();
        text += out;
        return out;
      },
      get text() {
        return text;
      },
    };
  }

  tokenToId(token: string): number | undefined {
    const i = PIECES.indexOf(token);
    return i < 0 ? undefined : i;
  }

  idToToken(id: number): string | undefined {
    const p = PIECES[id];
    return typeof p === 'string' ? p : undefined;
  }
}

/** Emits a fixed script of chunks, each cut to view.maxTokens; then repeats the last token. */
export function scriptedSampler(chunks: number[][], heads = 3): Sampler & { views: StepView[]; maxTokens: number[] } {
  let i = 0;
  const views: StepView[] = [];
  const maxTokens: number[] = [];
  return {
    name: 'scripted',
    heads,
    views,
    maxTokens,
    reset() {
      i = 0;
    },
    sample(view) {
      views.push(view);
      maxTokens.push(view.maxTokens);
      const chunk = chunks[Math.min(i, chunks.length - 1)] as number[];
      i++;
      return chunk.slice(0, view.maxTokens);
    },
  };
}

/** Softmax sampling at a temperature from head 0 with the view's RNG (one draw per token). */
export function softmaxSampler(temperature = 1): Sampler {
  return {
    name: 'softmax',
    sample(view) {
      const l = view.logits(0);
      let max = Number.NEGATIVE_INFINITY;
      for (const x of l) max = Math.max(max, x);
      let s = 0;
      const p = new Float64Array(l.length);
      for (let i = 0; i < l.length; i++) s += p[i] = Math.exp(((l[i] as number) - max) / temperature);
      let u = view.rng.next() * s;
      for (let i = 0; i < l.length; i++) {
        u -= p[i] as number;
        if (u < 0) return [i];
      }
      return [l.length - 1];
    },
  };
}

/** A multi-token sampler: argmax of each of the first maxTokens heads. */
export function headsArgmaxSampler(): Sampler {
  return {
    name: 'heads-argmax',
    heads: 3,
    sample(view) {
      const out: number[] = [];
      for (let h = 0; h < view.maxTokens; h++) {
        const l = view.logits(h);
        let best = 0;
        for (let v = 1; v < l.length; v++) if ((l[v] as number) > (l[best] as number)) best = v;
        out.push(best);
      }
      return out;
    },
  };
}

function softmaxInto(l: ArrayLike<number>, temperature: number, out: Float32Array | Float64Array): void {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < l.length; i++) max = Math.max(max, l[i] as number);
  let s = 0;
  for (let i = 0; i < l.length; i++) s += out[i] = Math.exp(((l[i] as number) - max) / temperature);
  for (let i = 0; i < l.length; i++) out[i] = (out[i] as number) / s;
}

function draw(p: ArrayLike<number>, u: number): number {
  let acc = 0;
  for (let i = 0; i < p.length; i++) {
    acc += p[i] as number;
    if (u < acc) return i;
  }
  return p.length - 1;
}

/** Softmax sampling that also reports its distribution (for speculative verification). */
export function distributionSampler(temperature = 1): Sampler & {
  distribution(view: StepView, out: Float32Array): void;
} {
  let p = new Float32Array(0);
  return {
    name: 'softmax-dist',
    distribution(view, out) {
      softmaxInto(view.logits(0), temperature, out);
    },
    sample(view) {
      if (p.length !== view.vocabSize) p = new Float32Array(view.vocabSize);
      softmaxInto(view.logits(0), temperature, p);
      return [draw(p, view.rng.next())];
    },
  };
}

/** Draws each extra head's token from softmax(head logits / temperature) and reports q. */
export function stochasticDrafter(temperature = 2): Drafter {
  return {
    name: 'stochastic',
    draft(view) {
      const qs: Float32Array[] = [];
      const tokens: number[] = [];
      for (let h = 1; h < view.heads; h++) {
        const q = new Float32Array(view.vocabSize);
        softmaxInto(view.logits(h), temperature, q);
        qs.push(q);
        tokens.push(draw(q, view.rng.next()));
      }
      return { tokens, probability: (i) => qs[i]![tokens[i]!]!, distribution: (i) => qs[i]! };
    },
  };
}

/** Awaits `p` and checks that it rejects with a DynamoError of `code` (naming `option` when given). */
export async function expectCode(p: Promise<unknown>, code: string, option?: string): Promise<void> {
  try {
    await p;
  } catch (error) {
    expect(isDynamoError(error), String(error)).toBe(true);
    expect((error as { code: string }).code).toBe(code);
    if (option !== undefined) expect((error as { details: { option?: string } }).details.option).toBe(option);
    return;
  }
  throw new Error(`expected ${code}, but it resolved`);
}

/**
 * Chi-square of the counts of 3-token continuations (index a·V² + b·V + c) after `prompt` against
 * the base model's exact distribution of them, over `runs` generations (df = V³ − 1).
 */
export function sequenceChiSquare(
  model: FakeModel,
  prompt: readonly number[],
  counts: Float64Array,
  runs: number,
): number {
  const V = model.metadata.vocabSize;
  let chi2 = 0;
  for (let a = 0; a < V; a++) {
    const pa = model.baseProbs([...prompt])[a] as number;
    for (let b = 0; b < V; b++) {
      const pb = model.baseProbs([...prompt, a])[b] as number;
      for (let c = 0; c < V; c++) {
        const expected = runs * pa * pb * (model.baseProbs([...prompt, a, b])[c] as number);
        chi2 += ((counts[a * V * V + b * V + c] as number) - expected) ** 2 / expected;
      }
    }
  }
  return chi2;
}
