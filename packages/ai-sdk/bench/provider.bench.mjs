#!/usr/bin/env node
// What the AI SDK provider costs over calling generate() directly: tokens/s of the same generations
// (same model sessions, sampler settings, prompts and seeds, so the same tokens) three ways —
//   direct:   generate() from @dynamojs/generate, one sampler per mode built once;
//   provider: the provider's doGenerate() (prompt conversion, settings, a sampler per call, results);
//   ai:       generateText() from `ai` on the provider (what an application calls).
// The three run interleaved per (round, prompt, mode), back to back in rotating order; tokens/s is
// wall-clock: tokens / the time of the whole call. Each prompt keeps its seed, so every round repeats
// the same generations (the three ways must give the same text). The overhead is read from paired
// calls (see below). Prints a table and JSON (--out writes the JSON to a file).
//
// Then the fixed cost of a call apart from the model, on a stub model (see below).
//
//   npm run build && node packages/ai-sdk/bench/provider.bench.mjs [--rounds 5] [--tokens 64]
//          [--modes dynamo,ar,verified] [--threads 1] [--fixed-calls 300] [--model DIR] [--out file.json]
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generate, resolveDecoding } from '@dynamojs/generate';
import { loadModel } from '@dynamojs/onnx/node';
import * as S from '@dynamojs/samplers';
import { loadTokenizer } from '@dynamojs/tokenizer';
import { generateText } from 'ai';
import { createDynamojs } from '../dist/node.js';

globalThis.AI_SDK_LOG_WARNINGS = false;
const here = fileURLToPath(new URL('.', import.meta.url));
const { values } = parseArgs({
  options: {
    model: { type: 'string', default: join(here, '../../model-tiny/model') },
    rounds: { type: 'string', default: '5' },
    tokens: { type: 'string', default: '64' },
    modes: { type: 'string', default: 'dynamo,ar,verified' },
    threads: { type: 'string', default: '1' },
    'fixed-calls': { type: 'string', default: '300' },
    out: { type: 'string' },
  },
});
const dir = values.model;
const rounds = Number(values.rounds);
const maxNewTokens = Number(values.tokens);
const modes = values.modes.split(',');
const prompts = ['The meaning of life is', 'Once upon a time', 'In the morning the city', 'The president said that'];
// the call's sampler settings; everything else is the model's defaults, as the provider resolves them
const settings = { temperature: 0.7, topK: 50 };
const providerOptions = (mode) => ({
  dynamojs: { mode },
});

const sessionOptions = { intraOpNumThreads: Number(values.threads), interOpNumThreads: 1 };
const tokenizer = await loadTokenizer(join(dir, 'tokenizer.json'));
const model = await loadModel(dir, { device: 'cpu', tokenizer, sessionOptions });
const baseModel = await loadModel(dir, { device: 'cpu', tokenizer, sessionOptions, baseOnly: true });
const tables = S.loadCoOccurrenceTables(readFileSync(join(dir, 'ngrams.bin')), { vocabSize: model.metadata.vocabSize });

// The provider runs on the very same sessions.
const dynamojs = createDynamojs({ models: { bench: { model, tokenizer, tables, baseModel } } });
const lm = dynamojs('bench');

// direct: the decoding the provider runs (the one resolver, @dynamojs/generate's resolveDecoding),
// each mode's sampler, drafter and processors built once
const context = {
  decoding: model.metadata.decoding,
  heads: model.metadata.heads,
  draftHead: false, // baseModel was loaded without its draft head: the provider sees none either
  tables,
  device: model.metadata.device,
};
const direct = Object.fromEntries(
  modes.map((mode) => {
    const plan = resolveDecoding({ mode, ...settings }, context);
    return [mode, { plan, components: plan.create({ tables }) }];
  }),
);

const paths = {
  async direct(mode, prompt, seed) {
    const { plan, components } = direct[mode];
    const r = await generate({
      model: plan.graph === 'base' ? baseModel : model,
      tokenizer,
      prompt,
      ...components,
      maxNewTokens,
      seed,
    });
    return { text: r.text, tokens: r.stats.tokens };
  },
  async provider(mode, prompt, seed) {
    const r = await lm.doGenerate({
      prompt: [{ role: 'user', content: [{ type: 'text', text: prompt }] }],
      maxOutputTokens: maxNewTokens,
      temperature: settings.temperature,
      topK: settings.topK,
      seed,
      providerOptions: providerOptions(mode),
    });
    return { text: r.content[0]?.text ?? '', tokens: r.usage.outputTokens.total };
  },
  async ai(mode, prompt, seed) {
    const r = await generateText({
      model: lm,
      prompt,
      maxOutputTokens: maxNewTokens,
      temperature: settings.temperature,
      topK: settings.topK,
      seed,
      maxRetries: 0,
      providerOptions: providerOptions(mode),
    });
    return { text: r.text, tokens: r.usage.outputTokens };
  },
};
const pathNames = Object.keys(paths);

// times[mode][path][prompt] = ms of each timed round; tokens[mode][prompt] (the same every round:
// each prompt keeps its seed, so every round repeats the same generations)
const times = {};
const cpuTimes = {};
const tokens = {};
for (const mode of modes) {
  times[mode] = Object.fromEntries(pathNames.map((p) => [p, prompts.map(() => [])]));
  cpuTimes[mode] = Object.fromEntries(pathNames.map((p) => [p, prompts.map(() => [])]));
  tokens[mode] = prompts.map(() => 0);
}
let mismatches = 0;
const loadBefore = loadavg()[0];
const started = Date.now();

for (let round = -1; round < rounds; round++) {
  // round -1: warm-up, untimed
  for (const [pi, prompt] of prompts.entries()) {
    for (const mode of modes) {
      const seed = pi + 1;
      const order = pathNames.map((_, i) => pathNames[(i + round + pi + 1) % pathNames.length]);
      const texts = {};
      for (const name of order) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const r = await paths[name](mode, prompt, seed);
        const ms = performance.now() - t0;
        const cpu = process.cpuUsage(c0);
        texts[name] = r.text;
        tokens[mode][pi] = r.tokens;
        if (round >= 0) {
          times[mode][name][pi].push(ms);
          cpuTimes[mode][name][pi].push((cpu.user + cpu.system) / 1000);
        }
      }
      if (new Set(Object.values(texts)).size !== 1) mismatches++;
    }
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const sum = (xs) => xs.reduce((a, b) => a + b, 0);

// Per mode and way: tokens/s over all prompts from each call's median round (wall clock), and the
// ratio to direct generate() as the median over paired calls — the same (round, prompt, mode), run
// back to back, so that a slow phase of a shared machine hits both — of direct time / this way's
// time, in wall-clock time and in the process's CPU time (user + system, every thread: the least
// disturbed by other work). Each prompt's best round is in the JSON too.
const rows = [];
for (const mode of modes) {
  const total = sum(tokens[mode]);
  const rate = (table, name, pick) => Math.round((10000 * total) / sum(table[mode][name].map(pick))) / 10;
  const pairedRatio = (table, name) => {
    const ratios = [];
    for (const [pi, runs] of table[mode][name].entries()) {
      for (const [r, ms] of runs.entries()) ratios.push(table[mode].direct[pi][r] / ms);
    }
    return Math.round(median(ratios) * 10000) / 10000;
  };
  const row = { mode, tokens: total, calls: rounds * prompts.length, tokensPerSecond: {}, bestTokensPerSecond: {} };
  for (const name of pathNames) {
    row.tokensPerSecond[name] = rate(times, name, median);
    row.bestTokensPerSecond[name] = rate(times, name, (xs) => Math.min(...xs));
  }
  for (const name of pathNames.filter((n) => n !== 'direct')) {
    row[name] = { wallRatio: pairedRatio(times, name), cpuRatio: pairedRatio(cpuTimes, name) };
  }
  rows.push(row);
}

// The fixed cost of a call, apart from the model: the three ways on a stub model whose forward pass
// returns at once (the same peaked logits every time), one new token per call — median CPU and wall
// time per call over --fixed-calls calls each, interleaved; the provider's and ai's extra time over
// direct generate() is then set against the median model-tiny call above.
const V = model.metadata.vocabSize;
const peaked = (id) => {
  const row = new Float32Array(V).fill(-4);
  row[id] = 8;
  return row;
};
const rowsOf = [peaked(42), peaked(43), peaked(44)];
const stub = {
  metadata: { ...model.metadata, name: 'stub', device: 'stub' },
  createCache: () => {
    let length = 0;
    return {
      get length() {
        return length;
      },
      disposed: false,
      trim(n) {
        length = n;
      },
      compact(keep) {
        length = keep.length;
      },
      dispose() {},
    };
  },
  async forward(tokens, cache, options = {}) {
    cache.trim(cache.length + tokens.length);
    const skip = options.headPositions === 'none';
    return { heads: skip ? 1 : 3, positionCount: 1, headPositionCount: skip ? 0 : 1, logits: (h) => rowsOf[h] };
  },
  async dispose() {},
};
const stubLm = createDynamojs({ models: { stub: { model: stub, tokenizer, tables } } })('stub');
const fixedWays = {
  direct: (mode) =>
    generate({
      model: stub,
      tokenizer,
      prompt: prompts[0],
      ...direct[mode].components,
      maxNewTokens: 1,
      seed: 1,
    }),
  provider: (mode) =>
    stubLm.doGenerate({
      prompt: [{ role: 'user', content: [{ type: 'text', text: prompts[0] }] }],
      maxOutputTokens: 1,
      temperature: settings.temperature,
      topK: settings.topK,
      seed: 1,
      providerOptions: providerOptions(mode),
    }),
  ai: (mode) =>
    generateText({
      model: stubLm,
      prompt: prompts[0],
      maxOutputTokens: 1,
      temperature: settings.temperature,
      topK: settings.topK,
      seed: 1,
      maxRetries: 0,
      providerOptions: providerOptions(mode),
    }),
};
const fixedCalls = Number(values['fixed-calls']);
for (const row of rows) {
  const wall = { direct: [], provider: [], ai: [] };
  const cpu = { direct: [], provider: [], ai: [] };
  for (let i = -20; i < fixedCalls; i++) {
    for (const name of pathNames.map((_, k) => pathNames[(k + i + 60) % pathNames.length])) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await fixedWays[name](row.mode);
      const ms = performance.now() - t0;
      const c = process.cpuUsage(c0);
      if (i >= 0) {
        wall[name].push(ms);
        cpu[name].push((c.user + c.system) / 1000);
      }
    }
  }
  const callMs = (1000 * row.tokens) / prompts.length / row.tokensPerSecond.direct;
  row.fixedCost = { callMs: Math.round(callMs * 10) / 10 };
  for (const name of ['provider', 'ai']) {
    const extraCpu = median(cpu[name]) - median(cpu.direct);
    const extraWall = median(wall[name]) - median(wall.direct);
    row.fixedCost[name] = {
      extraCpuMs: Math.round(extraCpu * 1000) / 1000,
      extraWallMs: Math.round(extraWall * 1000) / 1000,
      shareOfCall: Math.round((Math.max(extraCpu, extraWall) / callMs) * 10000) / 10000,
    };
  }
}

const report = {
  benchmark: 'ai-sdk provider overhead over generate()',
  date: new Date().toISOString(),
  command: `node packages/ai-sdk/bench/provider.bench.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  machine: {
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    node: process.version,
    loadavgBefore: loadBefore,
    loadavgAfter: loadavg()[0],
  },
  model: model.metadata.name,
  device: 'cpu',
  threads: Number(values.threads),
  rounds,
  prompts: prompts.length,
  maxNewTokens,
  settings,
  seconds: Math.round((Date.now() - started) / 1000),
  sameTextEveryWay: mismatches === 0,
  rows,
};

console.log(
  `\n${report.model}, cpu, ${report.threads} thread(s), ${rounds} rounds × ${prompts.length} prompts, ${maxNewTokens} tokens; ` +
    `load average ${loadBefore.toFixed(1)} → ${loadavg()[0].toFixed(1)}; same text every way: ${report.sameTextEveryWay}\n`,
);
console.log(
  '| mode | calls | direct generate() tok/s | provider doGenerate tok/s | ratio (wall) | ratio (CPU) | ai generateText tok/s | ratio (wall) | ratio (CPU) |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  const t = r.tokensPerSecond;
  console.log(
    `| ${r.mode} | ${r.calls} | ${t.direct} | ${t.provider} | ${r.provider.wallRatio.toFixed(3)} | ${r.provider.cpuRatio.toFixed(3)} | ${t.ai} | ${r.ai.wallRatio.toFixed(3)} | ${r.ai.cpuRatio.toFixed(3)} |`,
  );
}
console.log('\ntokens/s: median round; ratio: median over paired calls of (direct time / time), 1 = no overhead.');
console.log(`\nFixed cost of a call, apart from the model (stub model, one token, ${fixedCalls} calls per way):\n`);
console.log(
  '| mode | median model-tiny call (ms) | provider: extra CPU ms | extra wall ms | share of the call | ai: extra CPU ms | extra wall ms | share of the call |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  const f = r.fixedCost;
  const pct = (x) => `${(100 * x).toFixed(2)}%`;
  console.log(
    `| ${r.mode} | ${f.callMs} | ${f.provider.extraCpuMs} | ${f.provider.extraWallMs} | ${pct(f.provider.shareOfCall)} | ${f.ai.extraCpuMs} | ${f.ai.extraWallMs} | ${pct(f.ai.shareOfCall)} |`,
  );
}
console.log(`\n${JSON.stringify(report, null, 2)}`);
if (values.out) writeFileSync(values.out, `${JSON.stringify(report, null, 2)}\n`);
await Promise.all([model.dispose(), baseModel.dispose()]);
if (mismatches > 0) {
  console.error(`${mismatches} (prompt, mode) runs gave different texts along the three ways.`);
  process.exitCode = 1;
}
