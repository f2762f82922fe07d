/**
 * A hub-layout export (fixtures/hub/llama, written by fixtures/make_hub_exports.py as in
 * fixtures/hubExports.ts) loaded from a base URL: a local node:http server serving the folder in the
 * layout `https://huggingface.co/<repo>/resolve/main/` has. Progress events, a cache (an in-memory
 * CacheLike here; the Cache API in url-source-browser.test.ts), a truncated download, a failing
 * cache and an abort.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { isDynamoError, type MultiTokenModel } from '@dynamojs/core';
import { generate } from '@dynamojs/generate';
import { type CacheLike, type DownloadProgress, urlSource } from '@dynamojs/onnx';
import { loadModel } from '@dynamojs/onnx/node';
import { greedy } from '@dynamojs/samplers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureHubExports, HUB, hasTorch, PYTHON } from './fixtures/hubExports.js';

const LLAMA = join(HUB, 'llama');

if (!hasTorch) {
  console.warn(`url-source: skipped, ${PYTHON} cannot import torch and onnx to write the hub fixtures.`);
}

const session = { device: 'cpu' as const, sessionOptions: { intraOpNumThreads: 1, interOpNumThreads: 1 } };
const PROMPT = [5, 17, 42, 9, 77, 3];
const N = 12;

async function greedyTokens(model: MultiTokenModel): Promise<number[]> {
  const r = await generate({ model, inputIds: PROMPT, mode: 'ar', sampler: greedy(), eos: false, maxNewTokens: N });
  return [...r.tokens];
}

/** A CacheLike over a Map, as the Cache API stores them (the URL → a Response). */
function memoryCache(): CacheLike & { entries: Map<string, Response> } {
  const entries = new Map<string, Response>();
  return {
    entries,
    async match(url) {
      return entries.get(url)?.clone();
    },
    async put(url, response) {
      // as the Cache API does: the body is read in full before the entry exists
      const body = await response.arrayBuffer();
      entries.set(url, new Response(body, { status: response.status, headers: response.headers }));
    },
  };
}

interface Hit {
  /** The path under the model folder ("config.json"). */
  readonly path: string;
  readonly status: number;
}

describe.skipIf(!hasTorch)('urlSource: a hub-layout model from a base URL', () => {
  let server: Server;
  let base = '';
  const hits: Hit[] = [];
  beforeAll(async () => {
    ensureHubExports();
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const [, mode, ...rest] = decodeURIComponent(url.pathname).split('/');
      const path = normalize(rest.join('/'));
      const file = join(HUB, path);
      const rel = rest.slice(1).join('/');
      if (mode === 'error') {
        hits.push({ path: rel, status: 500 });
        res.writeHead(500);
        return res.end();
      }
      if (path.startsWith('..') || !existsSync(file) || !statSync(file).isFile()) {
        hits.push({ path: rel, status: 404 });
        res.writeHead(404);
        return res.end();
      }
      hits.push({ path: rel, status: 200 });
      const body = readFileSync(file);
      res.writeHead(200, { 'content-length': String(body.byteLength), 'content-type': 'application/octet-stream' });
      const big = path.endsWith('.onnx');
      if (mode === 'truncate' && big) {
        // Content-Length: N, then the connection closes after N/2 bytes
        res.write(body.subarray(0, body.byteLength >> 1), () => res.destroy());
        return;
      }
      if (mode === 'stall' && big) {
        // half the body, then nothing until the client goes away
        res.write(body.subarray(0, body.byteLength >> 1));
        return;
      }
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    hits.length = 0;
  });

  let folderTokens: number[] = [];
  it('= the folder: same greedy tokens; progress per file monotonic, ending at its size; a second load reads the cache only', async () => {
    const folder = await loadModel(LLAMA, session);
    folderTokens = await greedyTokens(folder);
    await folder.dispose();
    expect(new Set(folderTokens).size).toBeGreaterThan(3);

    const cache = memoryCache();
    const events: DownloadProgress[] = [];
    const first = await loadModel(`${base}/plain/llama/`, { ...session, cache, onProgress: (e) => events.push(e) });
    try {
      expect(first.file).toBe(`${base}/plain/llama/onnx/model.onnx`);
      expect(await greedyTokens(first)).toEqual(folderTokens);
    } finally {
      await first.dispose();
    }
    const fetched = hits.filter((h) => h.status === 200).map((h) => h.path);
    expect(fetched).toEqual(expect.arrayContaining(['config.json', 'generation_config.json', 'onnx/model.onnx']));
    const byFile = new Map<string, DownloadProgress[]>();
    for (const e of events) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
    expect([...byFile.keys()].sort()).toEqual([...fetched].sort());
    for (const [file, list] of byFile) {
      const size = statSync(join(LLAMA, file)).size;
      expect(list[0]?.status).toBe('initiate');
      expect(list.at(-1)).toMatchObject({ status: 'done', loaded: size, total: size, progress: 100, fromCache: false });
      expect(list.filter((e) => e.status === 'done')).toHaveLength(1);
      for (let i = 1; i < list.length; i++) {
        expect(list[i]?.loaded).toBeGreaterThanOrEqual(list[i - 1]?.loaded as number);
        expect(list[i]?.total).toBe(size);
        expect(list[i]?.url).toBe(`${base}/plain/llama/${file}`);
      }
    }
    // what was fetched is cached, byte for byte; 404s are not
    expect([...cache.entries.keys()].sort()).toEqual(fetched.map((f) => `${base}/plain/llama/${f}`).sort());
    const onnx = cache.entries.get(`${base}/plain/llama/onnx/model.onnx`)?.clone();
    expect(new Uint8Array((await onnx?.arrayBuffer()) as ArrayBuffer)).toEqual(
      new Uint8Array(readFileSync(join(LLAMA, 'onnx/model.onnx'))),
    );

    hits.length = 0;
    events.length = 0;
    const second = await loadModel(`${base}/plain/llama/`, { ...session, cache, onProgress: (e) => events.push(e) });
    try {
      expect(await greedyTokens(second)).toEqual(folderTokens);
    } finally {
      await second.dispose();
    }
    // only the probes for absent files (dynamo.json, onnx/model.onnx_data, …) reach the server
    expect(hits.filter((h) => h.status === 200)).toEqual([]);
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.fromCache)).toBe(true);
    expect(events.filter((e) => e.status === 'done').map((e) => e.file)).toEqual(fetched);
  });

  it('Content-Length N, connection closed after N/2 → DYNAMO_IO naming the URL and both sizes; nothing of it cached', async () => {
    const cache = memoryCache();
    const url = `${base}/truncate/llama/onnx/model.onnx`;
    const size = statSync(join(LLAMA, 'onnx/model.onnx')).size;
    const error = await loadModel(`${base}/truncate/llama/`, { ...session, cache }).catch((e: unknown) => e);
    expect(isDynamoError(error, 'DYNAMO_IO'), String(error)).toBe(true);
    expect(error).toMatchObject({
      message: expect.stringContaining(url),
      details: { file: url, expected: size, actual: expect.any(Number) },
    });
    const { actual } = (error as { details: { actual: number } }).details;
    expect(actual).toBeLessThan(size);
    expect((error as Error).message).toContain(`of ${size} bytes`);
    expect(cache.entries.has(url)).toBe(false);
    expect([...cache.entries.keys()].some((k) => k.endsWith('.onnx'))).toBe(false);
  });

  it('a complete body shorter than its Content-Length (no stream error) → DYNAMO_IO, not cached', async () => {
    const cache = memoryCache();
    const fetchShort = (async () =>
      new Response(new Uint8Array(10), { headers: { 'content-length': '20' } })) as unknown as typeof fetch;
    const source = urlSource('https://example.test/repo/resolve/main', { fetch: fetchShort, cache });
    await expect(source.read('onnx/model.onnx')).rejects.toMatchObject({
      code: 'DYNAMO_IO',
      message: expect.stringContaining('https://example.test/repo/resolve/main/onnx/model.onnx'),
      details: { expected: 20, actual: 10 },
    });
    expect(cache.entries.size).toBe(0);
  });

  it('a cache that throws (match and put) does not fail the load: the network is used', async () => {
    let puts = 0;
    const broken: CacheLike = {
      async match() {
        throw new Error('cache is gone');
      },
      async put() {
        puts++;
        throw new DOMException('quota exceeded', 'QuotaExceededError');
      },
    };
    const model = await loadModel(`${base}/plain/llama/`, { ...session, cache: broken });
    try {
      expect(await greedyTokens(model)).toEqual(folderTokens);
    } finally {
      await model.dispose();
    }
    expect(puts).toBeGreaterThan(0);
    expect(hits.filter((h) => h.status === 200).length).toBe(puts);
  });

  it('abort mid-download → DYNAMO_ABORTED', async () => {
    const controller = new AbortController();
    const onProgress = (e: DownloadProgress) => {
      if (e.file === 'onnx/model.onnx' && e.status === 'progress') controller.abort(new Error('user left'));
    };
    const started = Date.now();
    await expect(
      loadModel(`${base}/stall/llama/`, { ...session, cache: false, signal: controller.signal, onProgress }),
    ).rejects.toMatchObject({ code: 'DYNAMO_ABORTED' });
    expect(Date.now() - started).toBeLessThan(5000);
    // aborted before the request: no request at all
    const before = urlSource(`${base}/plain/llama/`, { signal: AbortSignal.abort() });
    hits.length = 0;
    await expect(before.read('config.json')).rejects.toMatchObject({ code: 'DYNAMO_ABORTED' });
    expect(hits).toEqual([]);
  });

  it('404 → absent; HTTP 500 → DYNAMO_IO; the (base, fetchImpl) form still works', async () => {
    const source = urlSource(`${base}/plain/llama`, globalThis.fetch);
    expect(await source.read('nothing-here.json')).toBeUndefined();
    expect(JSON.parse(new TextDecoder().decode(await source.read('config.json')))).toHaveProperty('model_type');
    await expect(urlSource(`${base}/error/llama/`).read('config.json')).rejects.toMatchObject({
      code: 'DYNAMO_IO',
      details: { file: `${base}/error/llama/config.json`, actual: 500 },
    });
  });
});
