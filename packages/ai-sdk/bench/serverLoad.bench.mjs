#!/usr/bin/env node
// The AI SDK provider behind an HTTP server (generationServer.mjs, 127.0.0.1) under concurrent
// streaming requests: latency (time to first text, time to the end) p50 / p99, throughput (generated
// tokens per second over the wave) and RSS, for several `maxConcurrency` limits, then a soak.
//
//   npm run build && node --expose-gc packages/ai-sdk/bench/serverLoad.bench.mjs
//       [--loads 8,32] [--limits 1,2,4,8] [--tokens 64] [--soak-s 90] [--threads 1] [--mode dynamo]
//       [--out docs/benchmarks/server-load.json]
//
// Each configuration: a fresh provider and server (bundled model, CPU), one warm-up request, then a
// wave of N simultaneous streaming requests (prompts and seeds fixed per index, so every limit
// generates the same tokens). The soak: waves of 8 with ~30% client aborts for --soak-s seconds at the
// default limit; RSS sampled after each wave (after a GC).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { generateText, streamText } from 'ai';
import { createDynamojs } from '../dist/node.js';
import { startGenerationServer } from './generationServer.mjs';

globalThis.AI_SDK_LOG_WARNINGS = false;
const { values } = parseArgs({
  options: {
    loads: { type: 'string', default: '8,32' },
    limits: { type: 'string', default: '1,2,4,8' },
    tokens: { type: 'string', default: '64' },
    'soak-s': { type: 'string', default: '90' },
    threads: { type: 'string', default: '1' },
    mode: { type: 'string', default: 'dynamo' },
    out: { type: 'string' },
  },
});
const TOKENS = Number(values.tokens);
const PROMPTS = [
  'The meaning of life is',
  'Once upon a time',
  'The president said',
  'In the beginning',
  'It was a dark and stormy night',
  'The king of England',
  'My favourite food is',
  'The state of the union',
];
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

async function open(limit) {
  const threads = Number(values.threads);
  const dynamojs = createDynamojs({
    device: 'cpu',
    loadOptions: { sessionOptions: { intraOpNumThreads: threads, interOpNumThreads: 1 } },
    ...(limit !== undefined && { maxConcurrency: limit }),
  });
  const model = dynamojs('model-tiny');
  await model.load();
  const server = await startGenerationServer({ model, streamText, generateText });
  return { dynamojs, server };
}

/** One streaming request: { ttft, total, tokens } (ms), or null when aborted by us. */
async function one(url, i, abortAfterFirst = false) {
  const controller = new AbortController();
  const t0 = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    body: JSON.stringify({
      prompt: PROMPTS[i % PROMPTS.length],
      maxOutputTokens: TOKENS,
      seed: 1000 + i,
      temperature: 0.8,
      stream: true,
      providerOptions: { dynamojs: { mode: values.mode } },
    }),
    signal: controller.signal,
  });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  let ttft;
  let tokens = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        const line = JSON.parse(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        if (line.type === 'text' && ttft === undefined) {
          ttft = performance.now() - t0;
          if (abortAfterFirst) {
            controller.abort();
            return null;
          }
        }
        if (line.type === 'finish') tokens = line.usage?.outputTokens ?? 0;
        if (line.type === 'error') throw new Error(line.message);
        nl = buffered.indexOf('\n');
      }
    }
  } catch (error) {
    if (controller.signal.aborted) return null;
    throw error;
  }
  return { ttft: ttft ?? performance.now() - t0, total: performance.now() - t0, tokens };
}

const rows = [];
for (const load of values.loads.split(',').map(Number)) {
  for (const limitText of values.limits.split(',')) {
    const limit = limitText === 'default' ? undefined : Number(limitText);
    const { dynamojs, server } = await open(limit);
    await one(server.url, 0);
    const t0 = performance.now();
    const results = await Promise.all(Array.from({ length: load }, (_, i) => one(server.url, i)));
    const wall = performance.now() - t0;
    const tokens = results.reduce((a, r) => a + r.tokens, 0);
    const row = {
      load,
      maxConcurrency: limit ?? 'default (4)',
      ttftP50: pct(
        results.map((r) => r.ttft),
        50,
      ),
      ttftP99: pct(
        results.map((r) => r.ttft),
        99,
      ),
      totalP50: pct(
        results.map((r) => r.total),
        50,
      ),
      totalP99: pct(
        results.map((r) => r.total),
        99,
      ),
      tokensPerSecond: (tokens / wall) * 1000,
      wallMs: wall,
      rssMB: process.memoryUsage().rss / 2 ** 20,
    };
    rows.push(row);
    console.error(
      `load ${load}, maxConcurrency ${row.maxConcurrency}: ttft p50 ${row.ttftP50.toFixed(0)} / p99 ${row.ttftP99.toFixed(0)} ms, ` +
        `total p50 ${row.totalP50.toFixed(0)} / p99 ${row.totalP99.toFixed(0)} ms, ${row.tokensPerSecond.toFixed(0)} tokens/s`,
    );
    await server.close();
    await dynamojs.dispose();
  }
}

// soak at the default limit
const soakS = Number(values['soak-s']);
const { dynamojs, server } = await open(undefined);
const rss = [];
let wave = 0;
let completed = 0;
let aborted = 0;
const until = Date.now() + soakS * 1000;
while (Date.now() < until) {
  const results = await Promise.all(
    Array.from({ length: 8 }, (_, i) => one(server.url, wave * 8 + i, (wave * 8 + i) % 10 < 3)),
  );
  for (const r of results) r === null ? aborted++ : completed++;
  wave++;
  globalThis.gc?.();
  rss.push(process.memoryUsage().rss / 2 ** 20);
}
await server.close();
await dynamojs.dispose();
const quarter = Math.max(1, Math.floor(rss.length / 4));
const soak = {
  seconds: soakS,
  waves: wave,
  completed,
  aborted,
  rssFirstQuarterMaxMB: Math.max(...rss.slice(0, quarter)),
  rssLastMB: rss[rss.length - 1],
  rssMaxMB: Math.max(...rss),
};
console.error(
  `soak ${soakS} s: ${wave} waves, ${completed} completed, ${aborted} aborted; RSS first-quarter max ${soak.rssFirstQuarterMaxMB.toFixed(0)} MB, last ${soak.rssLastMB.toFixed(0)} MB`,
);

const result = {
  bench: 'server-load',
  command: `node --expose-gc packages/ai-sdk/bench/serverLoad.bench.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  node: process.version,
  model: 'model-tiny (bundled), cpu',
  mode: values.mode,
  tokens: TOKENS,
  threads: Number(values.threads),
  rows,
  soak,
};
console.log(
  '| load | maxConcurrency | first text p50 / p99 (ms) | whole reply p50 / p99 (ms) | tokens/s (all requests) |',
);
console.log('| ---: | --- | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(
    `| ${r.load} | ${r.maxConcurrency} | ${r.ttftP50.toFixed(0)} / ${r.ttftP99.toFixed(0)} | ${r.totalP50.toFixed(0)} / ${r.totalP99.toFixed(0)} | ${r.tokensPerSecond.toFixed(0)} |`,
  );
}
if (values.out) writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
else console.log(JSON.stringify(result, null, 2));
