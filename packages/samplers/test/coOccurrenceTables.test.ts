import { DynamoErrorCode, isDynamoError } from '@dynamojs/core';
import { describe, expect, it } from 'vitest';
import {
  bufferRangeReader,
  buildCoOccurrenceTables,
  buildCoOccurrenceTablesSync,
  COOCCURRENCE_FORMAT_VERSION,
  fetchRangeReader,
  loadCoOccurrenceTables,
  loadCoOccurrenceTablesFrom,
  loadCoOccurrenceTablesUrl,
  NgramTableBuilder,
  readCoOccurrenceHeader,
  tableChecksum,
} from '../src/index.js';
import { bruteCounts, randomDocs } from './dynamoFixtures.js';

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (error) {
    expect(isDynamoError(error)).toBe(true);
    expect((error as { code: string }).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}`);
}

async function expectCodeAsync(p: Promise<unknown>, code: string): Promise<void> {
  await expect(p).rejects.toSatisfy((e: unknown) => isDynamoError(e) && (e as { code: string }).code === code);
}

const V = 40;
const docs = randomDocs(V, 60, 50, 7);

describe('co-occurrence tables: builder + loader', () => {
  it('stores exactly the brute-force n-gram counts (count tables, min count 1)', () => {
    const bytes = buildCoOccurrenceTablesSync(docs, {
      vocabSize: V,
      valueKind: 'count',
      minCount: 1,
      tokenizerHash: 'h',
    });
    const t = loadCoOccurrenceTables(bytes, { vocabSize: V, tokenizerHash: 'h' });
    const brute = bruteCounts(docs);
    let pairs = 0;
    let triples = 0;
    for (const [key, count] of brute) {
      const ids = key.split(',').map(Number);
      const e = t.findBigram(ids[0] as number, ids[1] as number);
      expect(e).toBeGreaterThanOrEqual(0);
      if (ids.length === 2) {
        pairs++;
        expect(t.bigramValues[e]).toBe(count);
      } else {
        triples++;
        const x = t.findTrigramOfEntry(e, ids[2] as number);
        expect(x).toBeGreaterThanOrEqual(0);
        expect(t.trigramValues?.[x]).toBe(count);
      }
    }
    expect(t.header.bigramCount).toBe(pairs);
    expect(t.header.trigramCount).toBe(triples);
    expect(t.header.documents).toBe(docs.length);
    expect(t.header.tokens).toBe(docs.reduce((s, d) => s + d.length, 0));
    expect(t.header.version).toBe(COOCCURRENCE_FORMAT_VERSION);
    expect(t.header.tokenizerHash).toBe('h');
    expect(t.header.idBytes).toBe(2);
    // unigram counts
    const uni = new Array(V).fill(0);
    for (const d of docs) for (const x of d) uni[x]++;
    expect(Array.from(t.unigrams)).toEqual(uni);
    // an unseen pair is absent
    expect(t.logPmi([V - 1, V - 1, V - 1])).toBe(Number.NEGATIVE_INFINITY);
  });

  it('never counts an n-gram across a document boundary', () => {
    const t = loadCoOccurrenceTables(
      buildCoOccurrenceTablesSync(
        [
          [1, 2],
          [3, 4],
        ],
        { vocabSize: 5, valueKind: 'count', minCount: 1 },
      ),
    );
    expect(t.findBigram(2, 3)).toBe(-1);
    expect(t.findBigram(1, 2)).toBeGreaterThanOrEqual(0);
    expect(t.header.trigramCount).toBe(0);
    // streaming API: addTokens continues the same document across calls
    const b = new NgramTableBuilder({ vocabSize: 5, valueKind: 'count', minCount: 1 });
    b.beginDocument();
    b.addTokens([1, 2]);
    b.addTokens([3]);
    b.endDocument();
    const t2 = loadCoOccurrenceTables(b.finish());
    expect(t2.findTrigram(1, 2, 3)).toBeGreaterThanOrEqual(0);
  });

  it('prunes by min count and top-N continuations, deterministically', () => {
    const a = buildCoOccurrenceTablesSync(docs, { vocabSize: V, minCount: 2, topNBigram: 3, topNTrigram: 2 });
    const b = buildCoOccurrenceTablesSync(docs, { vocabSize: V, minCount: 2, topNBigram: 3, topNTrigram: 2 });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const t = loadCoOccurrenceTables(a);
    const brute = bruteCounts(docs);
    for (let x = 0; x < V; x++) {
      const s = t.bigramOffsets[x] as number;
      const e = t.bigramOffsets[x + 1] as number;
      expect(e - s).toBeLessThanOrEqual(3);
      for (let i = s; i < e; i++) {
        expect(brute.get(`${x},${t.bigramIds[i]}`)).toBeGreaterThanOrEqual(2);
        const ts = t.trigramOffsets?.[i] as number;
        const te = t.trigramOffsets?.[i + 1] as number;
        expect(te - ts).toBeLessThanOrEqual(2);
      }
      // the kept ones are the most frequent: no dropped pair beats the weakest kept one
      if (e - s === 3) {
        const kept = new Set(Array.from(t.bigramIds.subarray(s, e)));
        const weakest = Math.min(...[...kept].map((y) => brute.get(`${x},${y}`) as number));
        for (let y = 0; y < V; y++) {
          if (!kept.has(y)) expect(brute.get(`${x},${y}`) ?? 0).toBeLessThanOrEqual(weakest);
        }
      }
    }
    expect(t.header.minCount).toBe(2);
    // global caps keep the most frequent entries
    const capped = loadCoOccurrenceTables(
      buildCoOccurrenceTablesSync(docs, {
        vocabSize: V,
        minCount: 1,
        maxBigrams: 20,
        maxTrigrams: 10,
        valueKind: 'count',
      }),
    );
    expect(capped.header.bigramCount).toBe(20);
    expect(capped.header.trigramCount).toBeLessThanOrEqual(10);
    const all = [...brute]
      .filter(([k]) => k.split(',').length === 2)
      .map(([, c]) => c)
      .sort((x, y) => y - x);
    expect(Math.min(...Array.from(capped.bigramValues))).toBe(all[19]);
    expect(t.header.topNBigram).toBe(3);
  });

  it('quantised log-PMI values approximate the exact ones (8 and 16 bit)', () => {
    const exact = loadCoOccurrenceTables(
      buildCoOccurrenceTablesSync(docs, { vocabSize: V, valueKind: 'count', minCount: 1 }),
    );
    for (const [kind, tol] of [
      ['logpmi8', 0.1],
      ['logpmi16', 0.001],
    ] as const) {
      const q = loadCoOccurrenceTables(
        buildCoOccurrenceTablesSync(docs, { vocabSize: V, valueKind: kind, minCount: 1 }),
      );
      const range = [q.header.bigramScale * (kind === 'logpmi8' ? 255 : 65535), q.header.trigramScale];
      for (const key of bruteCounts(docs).keys()) {
        const ids = key.split(',').map(Number);
        const d = Math.abs(q.logPmi(ids) - exact.logPmi(ids));
        expect(d).toBeLessThanOrEqual(tol * Math.max(1, (range[0] as number) / 10));
      }
      expect(q.byteLength).toBeLessThan(exact.byteLength);
    }
  });

  it('loads without copying: the arrays view the given buffer', () => {
    const bytes = buildCoOccurrenceTablesSync(docs, { vocabSize: V });
    const t = loadCoOccurrenceTables(bytes.buffer as ArrayBuffer);
    expect(t.bigramIds.buffer).toBe(bytes.buffer);
    expect(t.trigramValues?.buffer).toBe(bytes.buffer);
    // a Uint8Array at an unaligned offset is copied once, still loads
    const shifted = new Uint8Array(bytes.byteLength + 3);
    shifted.set(bytes, 3);
    const t2 = loadCoOccurrenceTables(shifted.subarray(3));
    expect(t2.header.bigramCount).toBe(t.header.bigramCount);
    // Node Buffers (whose slice() is a view): loading never modifies the input, twice works
    const buf = Buffer.from(bytes);
    const before = Buffer.from(buf);
    loadCoOccurrenceTables(buf);
    loadCoOccurrenceTables(buf);
    expect(buf.equals(before)).toBe(true);
    const pooled = Buffer.concat([Buffer.alloc(5), buf]).subarray(5); // unaligned Buffer view
    expect(loadCoOccurrenceTables(pooled).header.bigramCount).toBe(t.header.bigramCount);
  });

  it('typed errors: wrong vocabulary, tokenizer hash, magic, version, truncation', () => {
    const bytes = buildCoOccurrenceTablesSync(docs, { vocabSize: V, tokenizerHash: 'gpt2' });
    expectCode(() => loadCoOccurrenceTables(bytes, { vocabSize: V + 1 }), DynamoErrorCode.VOCAB_MISMATCH);
    expectCode(() => loadCoOccurrenceTables(bytes, { tokenizerHash: 'other' }), DynamoErrorCode.VOCAB_MISMATCH);
    const badMagic = bytes.slice();
    badMagic[0] = 0x41;
    expectCode(() => loadCoOccurrenceTables(badMagic), DynamoErrorCode.TABLE_FORMAT);
    const badVersion = bytes.slice();
    new DataView(badVersion.buffer).setUint32(8, 99, true);
    expectCode(() => loadCoOccurrenceTables(badVersion), DynamoErrorCode.TABLE_FORMAT);
    for (const cut of [0, 10, 127, 200, bytes.byteLength - 1]) {
      expectCode(() => loadCoOccurrenceTables(bytes.slice(0, cut)), DynamoErrorCode.TABLE_FORMAT);
    }
    expectCode(() => loadCoOccurrenceTables('nope' as unknown as Uint8Array), DynamoErrorCode.TABLE_FORMAT);
    // a flipped value byte: caught by the section checksum
    const flipped = bytes.slice();
    const mid = flipped.byteLength >> 1;
    flipped[mid] = (flipped[mid] as number) ^ 1;
    expectCode(() => loadCoOccurrenceTables(flipped), DynamoErrorCode.TABLE_FORMAT);
  });

  it('lazy loading through a range reader, optionally skipping the trigram sections', async () => {
    const bytes = buildCoOccurrenceTablesSync(docs, { vocabSize: V, tokenizerHash: 'x' });
    const requested: Array<[number, number]> = [];
    const inner = bufferRangeReader(bytes);
    const reader = {
      size: inner.size,
      read: (o: number, l: number) => {
        requested.push([o, l]);
        return inner.read(o, l);
      },
    };
    const header = await readCoOccurrenceHeader(reader, { vocabSize: V });
    expect(header.order).toBe(3);
    const full = await loadCoOccurrenceTablesFrom(reader);
    expect(full.order).toBe(3);
    expect(full.header.trigramCount).toBeGreaterThan(0);
    requested.length = 0;
    const pairsOnly = await loadCoOccurrenceTablesFrom(reader, { maxOrder: 2 });
    expect(pairsOnly.order).toBe(2);
    expect(pairsOnly.trigramIds).toBeUndefined();
    const fetched = requested.reduce((s, [, l]) => s + l, 0);
    expect(fetched).toBeLessThan(bytes.byteLength);
    await expectCodeAsync(loadCoOccurrenceTablesFrom(reader, { vocabSize: 3 }), DynamoErrorCode.VOCAB_MISMATCH);
    await expectCodeAsync(
      loadCoOccurrenceTablesFrom(bufferRangeReader(bytes.subarray(0, bytes.byteLength - 16))),
      DynamoErrorCode.TABLE_FORMAT,
    );
  });

  it('fetchRangeReader: HEAD for the size, Range requests for the sections; HTTP errors are DYNAMO_IO', async () => {
    const bytes = buildCoOccurrenceTablesSync(docs, { vocabSize: V });
    const ranges: string[] = [];
    const fakeFetch = (async (_url: string, init?: RequestInit) => {
      if (init?.method === 'HEAD') {
        return new Response(null, { status: 200, headers: { 'content-length': String(bytes.byteLength) } });
      }
      const range = new Headers(init?.headers).get('range') as string;
      ranges.push(range);
      const [from, to] = range.replace('bytes=', '').split('-').map(Number) as [number, number];
      return new Response(bytes.slice(from, to + 1), { status: 206 });
    }) as typeof fetch;
    const reader = await fetchRangeReader('https://example.test/tables.bin', { fetch: fakeFetch });
    const t = await loadCoOccurrenceTablesFrom(reader, { vocabSize: V, maxOrder: 2 });
    expect(t.order).toBe(2);
    expect(t.header.bigramCount).toBeGreaterThan(0);
    expect(ranges.length).toBe(2 + 4); // header probe, header + directory, 4 pair sections
    const notFound = (async () => new Response(null, { status: 404 })) as unknown as typeof fetch;
    await expectCodeAsync(fetchRangeReader('https://example.test/missing', { fetch: notFound }), DynamoErrorCode.IO);
    const noRanges = (async (_u: string, init?: RequestInit) =>
      init?.method === 'HEAD'
        ? new Response(null, { status: 200, headers: { 'content-length': String(bytes.byteLength) } })
        : new Response('busy', { status: 503 })) as typeof fetch;
    await expectCodeAsync(
      loadCoOccurrenceTablesUrl('https://example.test/tables.bin', { fetch: noRanges }),
      DynamoErrorCode.IO,
    );
    const throwing = (async () => {
      throw new TypeError('network down');
    }) as unknown as typeof fetch;
    await expectCodeAsync(loadCoOccurrenceTablesUrl('https://example.test/x', { fetch: throwing }), DynamoErrorCode.IO);
    // a server that ignores Range answers 200 with the whole file: fetched once, then served from memory
    let gets = 0;
    const ignoresRanges = (async (_u: string, init?: RequestInit) => {
      if (init?.method === 'HEAD') {
        return new Response(null, { status: 200, headers: { 'content-length': String(bytes.byteLength) } });
      }
      gets++;
      return new Response(bytes.slice(), { status: 200 });
    }) as typeof fetch;
    const whole = await loadCoOccurrenceTablesUrl('https://example.test/tables.bin', {
      fetch: ignoresRanges,
      vocabSize: V,
    });
    expect(whole.header.bigramCount).toBe(t.header.bigramCount);
    expect(gets).toBe(1);
  });

  it('async iterables, progress, memory cap, bad tokens', async () => {
    async function* gen() {
      for (const d of docs) yield d;
    }
    const progress: number[] = [];
    const a = await buildCoOccurrenceTables(gen(), {
      vocabSize: V,
      onProgress: (p) => progress.push(p.documents),
      progressEvery: 10,
    });
    expect(Buffer.from(a).equals(Buffer.from(buildCoOccurrenceTablesSync(docs, { vocabSize: V })))).toBe(true);
    expect(progress.at(-1)).toBe(docs.length);
    expect(progress.length).toBeGreaterThan(3);
    const capped = loadCoOccurrenceTables(
      buildCoOccurrenceTablesSync(docs, { vocabSize: V, maxEntries: 100, minCount: 1 }),
    );
    expect(capped.header.approximate).toBe(true);
    expect(capped.header.bigramCount + capped.header.trigramCount).toBeLessThanOrEqual(100);
    expectCode(() => buildCoOccurrenceTablesSync([[1, V]], { vocabSize: V }), DynamoErrorCode.TOKEN_OUT_OF_RANGE);
    expectCode(() => new NgramTableBuilder({ vocabSize: 0 }), DynamoErrorCode.INVALID_OPTION);
    expectCode(() => new NgramTableBuilder({ vocabSize: 300_000, order: 3 }), DynamoErrorCode.INVALID_OPTION);
    const order2 = loadCoOccurrenceTables(buildCoOccurrenceTablesSync(docs, { vocabSize: V, order: 2 }));
    expect(order2.order).toBe(2);
    expect(order2.findTrigram(1, 2, 3)).toBe(-1);
    // 4-byte ids above 65,536 tokens
    const big = loadCoOccurrenceTables(
      buildCoOccurrenceTablesSync([[70_000, 1, 70_000, 1]], { vocabSize: 70_001, minCount: 1 }),
    );
    expect(big.header.idBytes).toBe(4);
    expect(big.findTrigram(70_000, 1, 70_000)).toBeGreaterThanOrEqual(0);
    expect(tableChecksum(new Uint8Array([1, 2, 3]))).toBe(tableChecksum(new Uint8Array([1, 2, 3])));
  });
});
