#!/usr/bin/env node
// What the AI SDK provider costs over calling generate() directly: tokens/s of the same generations
// (same model sessions, sampler settings, prompts and seeds, so the same tokens) three ways —
//   direct:   generate() from @dynamojs/generate, one sampler per mode built once;
//   provider: the provider's doGenerate() (prompt conversion, settings, a sampler per call, results);
//   ai:       generateText() from `ai` on the provider (what an application calls).
// The three run interleaved per (round, prompt, mode), in rotating order; tokens/s is wall-clock:
// tokens / the time of the whole call, per mode over all prompts, from each call's best round (load
// only adds time) and from its median round. Each prompt keeps its seed, so every round repeats the
// same generations; the three ways must give the same text. Prints a table and JSON (--out writes
// the JSON to a file).
//
//   npm run build && node packages/ai-sdk/bench/provider.bench.mjs [--rounds 5] [--tokens 64]
//          [--modes dynamo,ar,verified] [--threads 1] [--model DIR] [--out file.json]
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generate } from '@dynamojs/generate';
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
    out: { type: 'string' },
  },
});
const dir = values.model;
const rounds = Number(values.rounds);
const maxNewTokens = Number(values.tokens);
const modes = values.modes.split(',');
const prompts = ['The meaning of life is', 'Once upon a time', 'In the morning the city', 'The president said that'];
const settings = { temperature: 0.7, topK: 50, repetitionPenalty: 1.1, epsilon: 0.5, alpha: 1, blur: 3 };

const sessionOptions = { intraOpNumThreads: Number(values.threads), interOpNumThreads: 1 };
const tokenizer = await loadTokenizer(join(dir, 'tokenizer.json'));
const model = await loadModel(dir, { device: 'cpu', tokenizer, sessionOptions });
const baseModel = await loadModel(dir, { device: 'cpu', tokenizer, sessionOptions, baseOnly: true });
const tables = S.loadCoOccurrenceTables(readFileSync(join(dir, 'ngrams.bin')), { vocabSize: model.metadata.vocabSize });

// The provider runs on the very same sessions.
const dynamojs = createDynamojs({ models: { bench: { model, tokenizer, tables, baseModel } } });
const lm = dynamojs('bench');

const samplers = {
  dynamo: S.dynamo({ tables, ...settings }),
  ar: S.sampling({
    temperature: settings.temperature,
    topK: settings.topK,
    repetitionPenalty: settings.repetitionPenalty,
  }),
  verified: S.sampling({
    temperature: settings.temperature,
    topK: settings.topK,
    repetitionPenalty: settings.repetitionPenalty,
  }),
};

const paths = {
  async direct(mode, prompt, seed) {
    const r = await generate({
      model: mode === 'ar' ? baseModel : model,
      tokenizer,
      prompt,
      mode,
      sampler: samplers[mode],
      ...(mode === 'verified' && { drafter: S.topOneDrafter() }),
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
      providerOptions: { dynamojs: { mode } },
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
      providerOptions: { dynamojs: { mode } },
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

// Per mode and way: tokens/s over the prompts with each prompt's best (fastest) round — the
// machine's load only ever adds time — and with each prompt's median round; and tokens per second
// of the process's CPU time (user + system, every thread), median round: the least disturbed by
// other work on a shared machine.
const STATS = [
  ['best', times, (xs) => Math.min(...xs)],
  ['median', times, median],
  ['cpu', cpuTimes, median],
];
const rows = [];
for (const mode of modes) {
  const total = sum(tokens[mode]);
  const row = { mode, tokens: total, calls: rounds * prompts.length };
  for (const [stat, table, pick] of STATS) {
    const rate = (name) => (1000 * total) / sum(table[mode][name].map(pick));
    const direct = rate('direct');
    row[stat] = { direct: round1(direct) };
    for (const name of pathNames.filter((n) => n !== 'direct')) {
      const r = rate(name);
      row[stat][name] = round1(r);
      row[stat][`${name}Ratio`] = Math.round((r / direct) * 10000) / 10000;
    }
  }
  rows.push(row);
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
  '| mode | tokens | rounds | statistic | direct generate() tok/s | provider doGenerate tok/s | ratio | ai generateText tok/s | ratio |',
);
console.log('| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  for (const [stat] of STATS) {
    const x = r[stat];
    console.log(
      `| ${r.mode} | ${r.tokens} | ${rounds} | ${stat} | ${x.direct} | ${x.provider} | ${x.providerRatio.toFixed(3)} | ${x.ai} | ${x.aiRatio.toFixed(3)} |`,
    );
  }
}
console.log(`\n${JSON.stringify(report, null, 2)}`);
if (values.out) writeFileSync(values.out, `${JSON.stringify(report, null, 2)}\n`);
await Promise.all([model.dispose(), baseModel.dispose()]);
if (mismatches > 0) {
  console.error(`${mismatches} (prompt, mode) runs gave different texts along the three ways.`);
  process.exitCode = 1;
}

function round1(x) {
  return Math.round(x * 10) / 10;
}
