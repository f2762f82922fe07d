// Test infrastructure shared by the browser tests (packages/*/test, apps/docs/test) and the
// consumer test: the system Chromium (never a downloaded one), its flags for a quiet, offline,
// throw-away headless browser, and a tiny static file server. Not published.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';

/** The Chromium binary the browser tests drive (CHROMIUM_PATH overrides; Debian's by default). */
export const { CHROMIUM_PATH: CHROMIUM = '/usr/bin/chromium' } = process.env;

/** Flags for a quiet, offline, throw-away headless Chromium. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Content types of the files the tests serve. */
export const MIME_TYPES = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

/**
 * A persistent headless Chromium context in `profileDir` (playwright-core), with WebGPU enabled
 * (SwiftShader without a GPU) or disabled (so onnxruntime-web takes WASM).
 */
export async function launchChromium(profileDir, { webgpu = true } = {}) {
  const { chromium } = await import('playwright-core');
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_FLAGS, ...(webgpu ? ['--enable-unsafe-webgpu'] : ['--disable-features=WebGPU'])],
  });
}

/**
 * Serves `pages` (exact paths → [body, content type], bodies may be functions called per request)
 * and the files under each `mounts` prefix (e.g. { '/ort/': dir }) on 127.0.0.1 at a free port.
 * Paths that leave a mount or do not exist get 404. Resolves with the base URL and a close().
 */
export async function serveFiles({ pages = {}, mounts = {} }) {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(url.pathname);
    const send = (body, type) => {
      res.writeHead(200, { 'content-type': type });
      res.end(body);
    };
    const page = pages[path];
    if (page) return send(typeof page[0] === 'function' ? page[0]() : page[0], page[1]);
    const prefix = Object.keys(mounts).find((p) => path.startsWith(p));
    const rel = prefix === undefined ? '..' : normalize(path.slice(prefix.length));
    const file = prefix === undefined ? '' : join(mounts[prefix], rel);
    if (rel.startsWith('..') || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404);
      return res.end();
    }
    send(readFileSync(file), MIME_TYPES[extname(file)] ?? 'application/octet-stream');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
