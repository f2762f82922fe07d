// biome-ignore-all lint/suspicious/noExplicitAny: tests poke at untyped tokenizer.json and error objects
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDynamoError } from '@dynamojs/core';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTokenizer, loadTokenizer } from '../src/index.js';
import { tinyTokenizerJson } from './fixtures.js';
import { GPT2_VOCAB_SIZE, writeGpt2TokenizerJson } from './gpt2TokenizerJson.js';

let server: Server;
let base: string;
let gpt2Path: string;
const tinyText = JSON.stringify(tinyTokenizerJson());

beforeAll(async () => {
  gpt2Path = writeGpt2TokenizerJson();
  server = createServer((req, res) => {
    if (req.url === '/tiny/tokenizer.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(tinyText);
    } else if (req.url === '/broken.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"model": ');
    } else {
      res.writeHead(404, 'Not Found');
      res.end('not here');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function rejected(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('loading', () => {
  test('from a path (Node)', async () => {
    const tok = await loadTokenizer(gpt2Path);
    expect(tok.vocabSize).toBe(GPT2_VOCAB_SIZE);
    expect(tok.name).toBe(gpt2Path);
    expect(tok.decode(tok.encode('from a file'))).toBe('from a file');
  });

  test('from a file: URL, as a string and as a URL', async () => {
    const url = pathToFileURL(gpt2Path);
    expect((await loadTokenizer(url)).vocabSize).toBe(GPT2_VOCAB_SIZE);
    expect((await loadTokenizer(url.href)).vocabSize).toBe(GPT2_VOCAB_SIZE);
  });

  test('from an http URL (fetch)', async () => {
    const tok = await loadTokenizer(`${base}/tiny/tokenizer.json`);
    expect(tok.vocabSize).toBe(303);
    expect(tok.name).toBe(`${base}/tiny/tokenizer.json`);
    expect((await loadTokenizer(new URL('/tiny/tokenizer.json', base))).vocabSize).toBe(303);
  });

  test('with a custom fetch', async () => {
    const seen: string[] = [];
    const fakeFetch = (async (input: string) => {
      seen.push(String(input));
      return new Response(tinyText, { status: 200 });
    }) as typeof fetch;
    const tok = await loadTokenizer('https://models.example/tiny/tokenizer.json', { fetch: fakeFetch });
    expect(tok.vocabSize).toBe(303);
    expect(seen).toEqual(['https://models.example/tiny/tokenizer.json']);
  });

  test('from a data: URL, JSON text, bytes, an ArrayBuffer and an object', async () => {
    const dataUrl = `data:application/json;base64,${Buffer.from(tinyText).toString('base64')}`;
    const bytes = new TextEncoder().encode(tinyText);
    for (const source of [dataUrl, tinyText, `  \n${tinyText}`, bytes, bytes.buffer, tinyTokenizerJson()]) {
      const tok = await loadTokenizer(source);
      expect(tok.vocabSize).toBe(303);
    }
    expect(createTokenizer(tinyText).vocabSize).toBe(303);
  });

  test('HTTP 404 → DYNAMO_IO naming the URL and status', async () => {
    const e = await rejected(loadTokenizer(`${base}/missing/tokenizer.json`));
    expect(isDynamoError(e, 'DYNAMO_IO')).toBe(true);
    expect(e.message).toContain(`${base}/missing/tokenizer.json`);
    expect(e.message).toContain('404');
    expect(e.details).toMatchObject({ file: `${base}/missing/tokenizer.json`, status: 404 });
  });

  test('malformed JSON over HTTP → DYNAMO_TOKENIZER_FORMAT naming the URL', async () => {
    const e = await rejected(loadTokenizer(`${base}/broken.json`));
    expect(isDynamoError(e, 'DYNAMO_TOKENIZER_FORMAT')).toBe(true);
    expect(e.message).toContain(`${base}/broken.json`);
  });

  test('connection refused → DYNAMO_IO', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const e = await rejected(loadTokenizer(`http://127.0.0.1:${port}/tokenizer.json`));
    expect(isDynamoError(e, 'DYNAMO_IO')).toBe(true);
    expect(e.message).toContain(`127.0.0.1:${port}`);
  });

  test('an aborted signal → DYNAMO_ABORTED', async () => {
    const controller = new AbortController();
    controller.abort();
    const e1 = await rejected(loadTokenizer(`${base}/tiny/tokenizer.json`, { signal: controller.signal }));
    expect(isDynamoError(e1, 'DYNAMO_ABORTED')).toBe(true);
    const e2 = await rejected(loadTokenizer(gpt2Path, { signal: controller.signal }));
    expect(isDynamoError(e2, 'DYNAMO_ABORTED')).toBe(true);
  });

  test('special tokens: found in the file, from tokenizer_config.json, overridden by a manifest', () => {
    const tiny = tinyTokenizerJson();
    expect(createTokenizer(tiny).specialTokens).toEqual({ eos: 300, bos: 300, pad: 301 });
    expect(
      createTokenizer(tiny, { tokenizerConfig: { eos_token: { content: '<|padding|>' }, pad_token: null } })
        .specialTokens,
    ).toEqual({
      eos: 301,
      bos: 300,
    });
    const tok = createTokenizer(tiny, { specialTokens: { eos: 0, pad: 1 } });
    expect(tok.specialTokens).toEqual({ eos: 0, bos: 300, pad: 1 });
    // the manifest's eos is dropped by skipSpecialTokens, like the file's special tokens
    expect(tok.decode([0x68, 0, 300, 0x69])).toBe('hi');
    expect(tok.decode([0x68, 0, 300, 0x69], { skipSpecialTokens: false })).toBe('h\u0000<|endoftext|>i');
  });

  test('added tokens that are not byte-level (a literal run of spaces, as in GPT-NeoX)', () => {
    const tok = createTokenizer(tinyTokenizerJson());
    const ids = tok.encode('hello    world');
    expect(ids).toContain(302);
    expect(tok.decode(ids)).toBe('hello    world');
    expect(Array.from(tok.tokenBytes(302))).toEqual([32, 32, 32, 32]);
    expect(tok.isSpecial(302)).toBe(false);
    expect(tok.isSpecial(300)).toBe(true);
  });
});

describe('browser safety', () => {
  test('the default entry bundles for the browser with no node: import left in it', async () => {
    const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      logLevel: 'silent',
      alias: { '@dynamojs/core': fileURLToPath(new URL('../../core/src/index.ts', import.meta.url)) },
    });
    expect(result.errors).toEqual([]);
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/from\s*["']node:/);
    expect(code).not.toMatch(/require\(["']node:/);
    expect(code).not.toMatch(/import\(["']node:/);
  });

  test('package.json: sideEffects false, one browser-safe entry', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.sideEffects).toBe(false);
    expect(Object.keys(pkg.exports)).toEqual(['.', './package.json']);
  });
});
