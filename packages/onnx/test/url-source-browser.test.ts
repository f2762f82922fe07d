// The hub-layout fixture (fixtures/hub/llama) loaded by @dynamojs/onnx/web in headless Chromium
// (playwright-core, WASM) from a local server: progress events, the real Cache API (a second load
// sends no request for a file it has), and a truncated download (typed error, nothing cached).
// Needs /usr/bin/chromium (never downloads a browser) and /usr/bin/python3 with torch and onnx to
// write the hub fixtures (fixtures/hubExports.ts); skipped without them.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MultiTokenModel } from '@dynamojs/core';
import { generate } from '@dynamojs/generate';
import { loadModel as loadNode } from '@dynamojs/onnx/node';
import { greedy } from '@dynamojs/samplers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launchChromium, MIME_TYPES } from '../../../scripts/headless-chromium.mjs';
import { ensureHubExports, HUB, hasTorch } from './fixtures/hubExports.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const ORT_DIST = join(root, 'node_modules/onnxruntime-web/dist');
const LLAMA = join(HUB, 'llama');
const PROMPT = [5, 17, 42, 9, 77, 3];
const N = 12;

/** The page's module: loads a model with the web entry and reports tokens, progress and the cache. */
const PAGE = `
import { loadModel } from './packages/onnx/src/web.ts';
import { generate } from '@dynamojs/generate';
import { greedy } from '@dynamojs/samplers';
const opts = (base) => ({ device: 'wasm', dtype: 'fp32', wasm: { wasmPaths: base + '/ort/', numThreads: 1 } });
export async function load(base, path) {
  const events = [];
  const model = await loadModel(base + path, { ...opts(base), onProgress: (e) => events.push(e) });
  try {
    const r = await generate({ model, inputIds: ${JSON.stringify(PROMPT)}, mode: 'ar', sampler: greedy(), eos: false, maxNewTokens: ${N} });
    return { tokens: [...r.tokens], events };
  } finally {
    await model.dispose();
  }
}
export async function loadError(base, path) {
  try {
    await loadModel(base + path, opts(base));
    return undefined;
  } catch (e) {
    return { code: e.code, message: e.message, details: e.details };
  }
}
export async function cachedUrls() {
  const cache = await caches.open('dynamojs-models');
  return (await cache.keys()).map((r) => r.url);
}
`;

describe.skipIf(!existsSync(CHROMIUM) || !hasTorch)('urlSource in headless Chromium: progress, Cache API', () => {
  let server: Server;
  let base = '';
  let bundle = '';
  const hits: { path: string; status: number }[] = [];
  const profile = mkdtempSync(join(tmpdir(), 'dynamo-chromium-url-'));

  beforeAll(async () => {
    ensureHubExports();
    const esbuild = await import('esbuild');
    const out = await esbuild.build({
      stdin: { contents: PAGE, resolveDir: root, loader: 'js', sourcefile: 'page.js' },
      bundle: true,
      format: 'esm',
      write: false,
      platform: 'browser',
      external: ['onnxruntime-web'],
      alias: Object.fromEntries(
        ['core', 'generate', 'samplers'].map((p) => [`@dynamojs/${p}`, join(root, `packages/${p}/src/index.ts`)]),
      ),
      logLevel: 'silent',
    });
    bundle = out.outputFiles[0]?.text ?? '';
    const html = `<!doctype html><script type="importmap">{"imports":{"onnxruntime-web":"/ort/ort.min.mjs"}}</script><body>ready</body>`;
    server = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      // no-store: a second load that sends no request read the Cache API, not the HTTP cache
      const send = (body: string | Buffer, type: string) => {
        res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
        res.end(body);
      };
      if (path === '/') return send(html, 'text/html');
      if (path === '/page.js') return send(bundle, 'text/javascript');
      const [, mode, ...rest] = path.split('/');
      const rel = normalize(rest.join('/'));
      const file = mode === 'ort' ? join(ORT_DIST, rel) : join(HUB, rel);
      const model = mode === 'plain' || mode === 'truncate';
      if ((!model && mode !== 'ort') || rel.startsWith('..') || !existsSync(file) || !statSync(file).isFile()) {
        if (model) hits.push({ path: rest.slice(1).join('/'), status: 404 });
        res.writeHead(404, { 'cache-control': 'no-store' });
        return res.end();
      }
      const body = readFileSync(file);
      if (!model) return send(body, MIME_TYPES[extname(file) as keyof typeof MIME_TYPES] ?? 'application/octet-stream');
      hits.push({ path: rest.slice(1).join('/'), status: 200 });
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(body.byteLength),
        'cache-control': 'no-store',
      });
      if (mode === 'truncate' && rel.endsWith('.onnx')) {
        res.write(body.subarray(0, body.byteLength >> 1), () => res.destroy());
        return;
      }
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    rmSync(profile, { recursive: true, force: true });
  });

  it('first load downloads with progress and fills the Cache API; the second sends no request for those files; a truncated download is DYNAMO_IO and not cached', async () => {
    const node = await loadNode(LLAMA, { device: 'cpu' });
    let nodeTokens: number[];
    try {
      const r = await generate({
        model: node as MultiTokenModel,
        inputIds: PROMPT,
        mode: 'ar',
        sampler: greedy(),
        eos: false,
        maxNewTokens: N,
      });
      nodeTokens = [...r.tokens];
    } finally {
      await node.dispose();
    }

    const context = await launchChromium(profile, { webgpu: false });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const logs: string[] = [];
      page.on('pageerror', (e) => logs.push(String(e)));
      await page.goto(`${base}/`);
      // strings, so that vitest's transform leaves the page's dynamic import alone
      const call = <T>(fn: string, ...args: string[]) =>
        page.evaluate(
          `import('${base}/page.js').then((m) => m.${fn}(${args.map((a) => JSON.stringify(a)).join(', ')}))`,
        ) as Promise<T>;
      type Loaded = {
        tokens: number[];
        events: { status: string; file: string; loaded: number; total: number; fromCache: boolean }[];
      };

      const first = await call<Loaded>('load', base, '/plain/llama/');
      expect(first.tokens, logs.join('\n')).toEqual(nodeTokens);
      const fetched = hits.filter((h) => h.status === 200).map((h) => h.path);
      expect(fetched).toContain('onnx/model.onnx');
      const done = first.events.filter((e) => e.status === 'done');
      expect(done.map((e) => e.file)).toEqual(fetched);
      for (const e of done) expect(e).toMatchObject({ loaded: statSync(join(LLAMA, e.file)).size, fromCache: false });
      const modelEvents = first.events.filter((e) => e.file === 'onnx/model.onnx').map((e) => e.loaded);
      expect(modelEvents).toEqual([...modelEvents].sort((a, b) => a - b));
      expect((await call<string[]>('cachedUrls')).sort()).toEqual(
        fetched.map((f) => `${base}/plain/llama/${f}`).sort(),
      );

      hits.length = 0;
      const second = await call<Loaded>('load', base, '/plain/llama/');
      expect(second.tokens).toEqual(nodeTokens);
      expect(hits.filter((h) => h.status === 200)).toEqual([]);
      expect(second.events.every((e) => e.fromCache)).toBe(true);

      const error = await call<{ code: string; message: string; details: Record<string, unknown> }>(
        'loadError',
        base,
        '/truncate/llama/',
      );
      const url = `${base}/truncate/llama/onnx/model.onnx`;
      expect(error).toMatchObject({
        code: 'DYNAMO_IO',
        message: expect.stringContaining(url),
        details: { file: url, expected: statSync(join(LLAMA, 'onnx/model.onnx')).size },
      });
      expect(await call<string[]>('cachedUrls')).not.toContain(url);
    } finally {
      await context.close();
    }
  }, 120_000);
});
