import { checkEnum, checkInteger, checkNumber, DynamoError, DynamoErrorCode } from '@dynamojs/core';
import { countLogPmi } from './coOccurrenceTables.js';
import { CountTable } from './countTable.js';
import { type CoOccurrenceData, encodeCoOccurrenceTables } from './encodeTables.js';
import type { CoOccurrenceValueKind } from './tablesFormat.js';

/** Options of the n-gram table builder. */
export interface NgramTableBuilderOptions {
  readonly vocabSize: number;
  /** TextTokenizer.hash of the tokenizer used, stored in the header and checked at load. */
  readonly tokenizerHash?: string;
  /** 2 (pairs) or 3 (pairs and triplets). Default 3. */
  readonly order?: 2 | 3;
  /** Drop n-grams seen fewer times. Default 2 (hapaxes are mostly noise and half the entries). */
  readonly minCount?: number;
  /** Keep at most this many continuations (highest counts) per first token; 0 = all. Default 0. */
  readonly topNBigram?: number;
  /** Keep at most this many continuations per bigram; 0 = all. Default 0. */
  readonly topNTrigram?: number;
  /** Keep at most this many bigram entries overall (the most frequent; 0 = no cap). Default 0. */
  readonly maxBigrams?: number;
  /** Keep at most this many trigram entries overall (the most frequent; 0 = no cap). Default 0. */
  readonly maxTrigrams?: number;
  /** Stored values. Default 'logpmi8' (1 byte per entry). */
  readonly valueKind?: CoOccurrenceValueKind;
  /** Additive smoothing of unigram counts in the log-PMI denominators. Default 0. */
  readonly smoothing?: number;
  /**
   * Memory cap: most distinct bigrams + trigrams held while counting. When exceeded, the rarest
   * entries are pruned (count floor raised until half the cap is free) and the header marks the
   * counts as approximate. Default 8,000,000 (typed open-addressing tables, 12 bytes per slot at
   * load ≤ 0.7: 200–400 MB at the cap).
   */
  readonly maxEntries?: number;
  /** Called every `progressEvery` documents and at the end. */
  readonly onProgress?: (progress: NgramBuildProgress) => void;
  /** Default 1000. */
  readonly progressEvery?: number;
}

export interface NgramBuildProgress {
  readonly documents: number;
  readonly tokens: number;
  readonly distinctBigrams: number;
  readonly distinctTrigrams: number;
  /** Times the memory cap forced pruning. */
  readonly prunes: number;
  readonly phase: 'counting' | 'done';
}

/** Largest vocabulary whose trigram keys (a·V + b)·V + c stay exact in a double. */
const MAX_TRIGRAM_VOCAB = 208_063;

/**
 * Counts unigrams, bigrams and trigrams over documents of token ids and writes the binary
 * tables. Pure TypeScript (Node and browser). Document boundaries are respected: no n-gram spans
 * two documents. Deterministic: the same documents in the same order give the same bytes.
 *
 * Streaming use: `beginDocument()`, any number of `addTokens(ids)`, `endDocument()`; or
 * `addDocument(ids)` for a whole document. Then `finish()`.
 */
export class NgramTableBuilder {
  readonly vocabSize: number;
  readonly order: 2 | 3;
  private readonly options: Required<Omit<NgramTableBuilderOptions, 'onProgress' | 'tokenizerHash'>> &
    Pick<NgramTableBuilderOptions, 'onProgress' | 'tokenizerHash'>;
  private readonly unigrams: Float64Array;
  private bigrams = new CountTable();
  private trigrams = new CountTable();
  private documents = 0;
  private tokens = 0;
  private bigramTotal = 0;
  private trigramTotal = 0;
  private prunes = 0;
  private floor = 0;
  private inDocument = false;
  private prev1 = -1;
  private prev2 = -1;
  private finished = false;

  constructor(options: NgramTableBuilderOptions) {
    const vocabSize = checkInteger('vocabSize', options.vocabSize, { min: 1, max: 0x7fffffff });
    const order = options.order ?? 3;
    if (order !== 2 && order !== 3) checkEnum('order', String(order), ['2', '3']);
    if (order === 3 && vocabSize > MAX_TRIGRAM_VOCAB) {
      throw new DynamoError(
        DynamoErrorCode.INVALID_OPTION,
        `Trigram tables support vocabularies up to ${MAX_TRIGRAM_VOCAB} tokens; use order 2 for ${vocabSize}.`,
        { details: { option: 'order', actual: vocabSize } },
      );
    }
    this.vocabSize = vocabSize;
    this.order = order;
    this.options = {
      vocabSize,
      order,
      tokenizerHash: options.tokenizerHash,
      minCount: checkInteger('minCount', options.minCount ?? 2, { min: 1 }),
      topNBigram: checkInteger('topNBigram', options.topNBigram ?? 0, { min: 0 }),
      topNTrigram: checkInteger('topNTrigram', options.topNTrigram ?? 0, { min: 0 }),
      maxBigrams: checkInteger('maxBigrams', options.maxBigrams ?? 0, { min: 0 }),
      maxTrigrams: checkInteger('maxTrigrams', options.maxTrigrams ?? 0, { min: 0 }),
      valueKind: checkEnum('valueKind', options.valueKind ?? 'logpmi8', ['count', 'logpmi16', 'logpmi8']),
      smoothing: checkNumber('smoothing', options.smoothing ?? 0, { min: 0 }),
      maxEntries: checkInteger('maxEntries', options.maxEntries ?? 8_000_000, { min: 16 }),
      onProgress: options.onProgress,
      progressEvery: checkInteger('progressEvery', options.progressEvery ?? 1000, { min: 1 }),
    };
    this.unigrams = new Float64Array(vocabSize);
  }

  beginDocument(): void {
    this.checkOpen();
    if (this.inDocument) this.endDocument();
    this.inDocument = true;
    this.prev1 = -1;
    this.prev2 = -1;
  }

  /** Appends tokens to the current document (continuing its n-grams across calls). */
  addTokens(ids: ArrayLike<number>): void {
    this.checkOpen();
    if (!this.inDocument) this.beginDocument();
    const V = this.vocabSize;
    const tri = this.order === 3;
    const uni = this.unigrams;
    for (let i = 0; i < ids.length; i++) {
      const t = ids[i] as number;
      if (!Number.isInteger(t) || t < 0 || t >= V) {
        throw new DynamoError(
          DynamoErrorCode.TOKEN_OUT_OF_RANGE,
          `Token id ${String(t)} is outside the vocabulary [0, ${V}).`,
          { details: { index: i, actual: t } },
        );
      }
      uni[t] = (uni[t] as number) + 1;
      this.tokens++;
      const p1 = this.prev1;
      if (p1 >= 0) {
        const key = p1 * V + t;
        this.bigrams.increment(key);
        this.bigramTotal++;
        const p2 = this.prev2;
        if (tri && p2 >= 0) {
          const key3 = (p2 * V + p1) * V + t;
          this.trigrams.increment(key3);
          this.trigramTotal++;
        }
      }
      this.prev2 = p1;
      this.prev1 = t;
      if (this.bigrams.size + this.trigrams.size > this.options.maxEntries) this.pruneForMemory();
    }
  }

  endDocument(): void {
    if (!this.inDocument) return;
    this.inDocument = false;
    this.prev1 = -1;
    this.prev2 = -1;
    this.documents++;
    if (this.documents % this.options.progressEvery === 0) this.report('counting');
  }

  /** One whole document. */
  addDocument(ids: ArrayLike<number>): void {
    this.beginDocument();
    this.addTokens(ids);
    this.endDocument();
  }

  get progress(): NgramBuildProgress {
    return {
      documents: this.documents,
      tokens: this.tokens,
      distinctBigrams: this.bigrams.size,
      distinctTrigrams: this.trigrams.size,
      prunes: this.prunes,
      phase: this.finished ? 'done' : 'counting',
    };
  }

  private report(phase: 'counting' | 'done'): void {
    this.options.onProgress?.({ ...this.progress, phase });
  }

  private checkOpen(): void {
    if (this.finished) {
      throw new DynamoError(DynamoErrorCode.INVALID_OPTION, 'NgramTableBuilder: finish() was already called.');
    }
  }

  /** Raises the count floor until at most half the cap is used (deterministic). */
  private pruneForMemory(): void {
    this.prunes++;
    const target = this.options.maxEntries >>> 1;
    while (this.bigrams.size + this.trigrams.size > target) {
      this.floor++;
      const f = this.floor;
      this.trigrams.prune(f);
      if (this.bigrams.size + this.trigrams.size <= target) break;
      this.bigrams.prune(f);
    }
  }

  /** Prunes, sorts and encodes. The builder cannot be used afterwards. */
  finish(): Uint8Array {
    this.checkOpen();
    if (this.inDocument) this.endDocument();
    this.finished = true;
    const o = this.options;
    const V = this.vocabSize;
    const unigrams = new Uint32Array(V);
    for (let t = 0; t < V; t++) unigrams[t] = Math.min(this.unigrams[t] as number, 0xffffffff);

    // Bigrams: sorted keys, min count, top-N per first token.
    const biKeys = this.bigrams.sortedEntries(o.minCount);
    this.bigrams = new CountTable(16);
    const keptBi = capTotal(topNPerGroup(biKeys.keys, biKeys.counts, V, o.topNBigram), o.maxBigrams);
    const nb = keptBi.keys.length;
    const bigramOffsets = new Uint32Array(V + 1);
    const bigramIds = new Uint32Array(nb);
    for (let e = 0; e < nb; e++) {
      const key = keptBi.keys[e] as number;
      const a = Math.floor(key / V);
      bigramIds[e] = key - a * V;
      bigramOffsets[a + 1] = (bigramOffsets[a + 1] as number) + 1;
    }
    for (let a = 0; a < V; a++) bigramOffsets[a + 1] = (bigramOffsets[a + 1] as number) + (bigramOffsets[a] as number);

    const data: {
      -readonly [K in keyof CoOccurrenceData]: CoOccurrenceData[K];
    } = {
      vocabSize: V,
      tokenizerHash: o.tokenizerHash ?? '',
      order: this.order,
      valueKind: o.valueKind,
      documents: this.documents,
      tokens: this.tokens,
      bigramTotal: this.bigramTotal,
      trigramTotal: this.trigramTotal,
      minCount: o.minCount,
      topNBigram: o.topNBigram,
      topNTrigram: o.topNTrigram,
      approximate: this.prunes > 0,
      smoothing: o.smoothing,
      unigrams,
      bigramOffsets,
      bigramIds,
      bigramValues: new Uint32Array(0),
    };
    const pmiBi = new Float64Array(nb);
    for (let e = 0; e < nb; e++) {
      const key = keptBi.keys[e] as number;
      const a = Math.floor(key / V);
      pmiBi[e] = countLogPmi(
        keptBi.counts[e] as number,
        this.bigramTotal,
        this.tokens,
        o.smoothing,
        unigrams,
        a,
        key - a * V,
        -1,
      );
    }
    const bq = quantise(keptBi.counts, pmiBi, o.valueKind);
    data.bigramValues = bq.values;
    data.bigramScale = bq.scale;
    data.bigramOffset = bq.offset;

    if (this.order === 3) {
      const triKeys = this.trigrams.sortedEntries(o.minCount);
      this.trigrams = new CountTable(16);
      // Group key of a trigram = its bigram key (a·V + b); drop trigrams whose bigram was pruned.
      const kept = capTotal(topNPerGroup(triKeys.keys, triKeys.counts, V, o.topNTrigram), o.maxTrigrams);
      const trigramOffsets = new Uint32Array(nb + 1);
      const ids: number[] = [];
      const counts: number[] = [];
      const pmi: number[] = [];
      let e = 0;
      for (let t = 0; t < kept.keys.length; t++) {
        const key = kept.keys[t] as number;
        const group = Math.floor(key / V);
        while (e < nb && (keptBi.keys[e] as number) < group) {
          trigramOffsets[e + 1] = ids.length;
          e++;
        }
        if (e < nb && keptBi.keys[e] === group) {
          const c = key - group * V;
          const a = Math.floor(group / V);
          const b = group - a * V;
          ids.push(c);
          const count = kept.counts[t] as number;
          counts.push(count);
          pmi.push(countLogPmi(count, this.trigramTotal, this.tokens, o.smoothing, unigrams, a, b, c));
        }
      }
      while (e < nb) {
        trigramOffsets[e + 1] = ids.length;
        e++;
      }
      const tq = quantise(Float64Array.from(counts), Float64Array.from(pmi), o.valueKind);
      data.trigramOffsets = trigramOffsets;
      data.trigramIds = Uint32Array.from(ids);
      data.trigramValues = tq.values;
      data.trigramScale = tq.scale;
      data.trigramOffset = tq.offset;
    }
    this.report('done');
    return encodeCoOccurrenceTables(data);
  }
}

/**
 * Keeps the `topN` highest counts within each group of consecutive keys sharing floor(key / V)
 * (ties: lower key first), preserving sorted order. topN = 0 keeps everything.
 */
function topNPerGroup(
  keys: Float64Array,
  counts: Float64Array,
  V: number,
  topN: number,
): { keys: Float64Array; counts: Float64Array } {
  if (topN === 0) return { keys, counts };
  const keep = new Uint8Array(keys.length);
  let start = 0;
  const order: number[] = [];
  while (start < keys.length) {
    const group = Math.floor((keys[start] as number) / V);
    let end = start + 1;
    while (end < keys.length && Math.floor((keys[end] as number) / V) === group) end++;
    if (end - start <= topN) {
      keep.fill(1, start, end);
    } else {
      order.length = 0;
      for (let i = start; i < end; i++) order.push(i);
      order.sort((x, y) => (counts[y] as number) - (counts[x] as number) || x - y);
      for (let i = 0; i < topN; i++) keep[order[i] as number] = 1;
    }
    start = end;
  }
  let n = 0;
  for (let i = 0; i < keep.length; i++) n += keep[i] as number;
  const outKeys = new Float64Array(n);
  const outCounts = new Float64Array(n);
  let j = 0;
  for (let i = 0; i < keep.length; i++) {
    if (keep[i]) {
      outKeys[j] = keys[i] as number;
      outCounts[j++] = counts[i] as number;
    }
  }
  return { keys: outKeys, counts: outCounts };
}

/**
 * Keeps the `max` highest counts overall (ties: lower key first), preserving sorted order.
 * 0 = no cap. Deterministic.
 */
function capTotal(
  sorted: { keys: Float64Array; counts: Float64Array },
  max: number,
): { keys: Float64Array; counts: Float64Array } {
  const { keys, counts } = sorted;
  if (max === 0 || keys.length <= max) return sorted;
  const desc = Float64Array.from(counts).sort().reverse();
  const cut = desc[max - 1] as number;
  let above = 0;
  for (let i = 0; i < counts.length; i++) if ((counts[i] as number) > cut) above++;
  let tiesLeft = max - above;
  const outKeys = new Float64Array(max);
  const outCounts = new Float64Array(max);
  let j = 0;
  for (let i = 0; i < keys.length; i++) {
    const c = counts[i] as number;
    if (c > cut || (c === cut && tiesLeft-- > 0)) {
      outKeys[j] = keys[i] as number;
      outCounts[j++] = c;
    }
  }
  return { keys: outKeys, counts: outCounts };
}

/** Values as stored: raw counts, or log-PMI quantised linearly over its observed range. */
function quantise(
  counts: Float64Array,
  pmi: Float64Array,
  kind: CoOccurrenceValueKind,
): { values: Uint32Array | Uint16Array | Uint8Array; scale: number; offset: number } {
  const n = counts.length;
  if (kind === 'count') {
    const values = new Uint32Array(n);
    for (let i = 0; i < n; i++) values[i] = Math.min(counts[i] as number, 0xffffffff);
    return { values, scale: 0, offset: 0 };
  }
  const levels = kind === 'logpmi16' ? 65535 : 255;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const v = pmi[i] as number;
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!(hi >= lo)) {
    lo = 0;
    hi = 0;
  }
  const offset = Math.fround(lo);
  const scale = Math.fround(hi > offset ? (hi - offset) / levels : 1);
  const values = kind === 'logpmi16' ? new Uint16Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = pmi[i] as number;
    const q = Number.isFinite(v) ? Math.round((v - offset) / scale) : 0;
    values[i] = Math.max(0, Math.min(levels, q));
  }
  return { values, scale, offset };
}

/** Documents of token ids, sync or async. */
export type TokenDocuments = Iterable<ArrayLike<number>> | AsyncIterable<ArrayLike<number>>;

/** Builds tables from every document of an (async) iterable: `finish()` of a fresh builder. */
export async function buildCoOccurrenceTables(
  documents: TokenDocuments,
  options: NgramTableBuilderOptions & { readonly signal?: AbortSignal },
): Promise<Uint8Array> {
  const builder = new NgramTableBuilder(options);
  if (Symbol.asyncIterator in documents) {
    for await (const doc of documents as AsyncIterable<ArrayLike<number>>) {
      if (options.signal?.aborted) throw abortError(options.signal);
      builder.addDocument(doc);
    }
  } else {
    for (const doc of documents as Iterable<ArrayLike<number>>) builder.addDocument(doc);
  }
  return builder.finish();
}

/** Synchronous variant for in-memory documents. */
export function buildCoOccurrenceTablesSync(
  documents: Iterable<ArrayLike<number>>,
  options: NgramTableBuilderOptions,
): Uint8Array {
  const builder = new NgramTableBuilder(options);
  for (const doc of documents) builder.addDocument(doc);
  return builder.finish();
}

function abortError(signal: AbortSignal): DynamoError {
  return new DynamoError(DynamoErrorCode.ABORTED, 'Building co-occurrence tables was aborted.', {
    cause: signal.reason,
  });
}
