#!/usr/bin/env node
/**
 * Structured output at multi-token speed: tokens per forward pass, tokens/s and the grammar
 * engine's µs per token on JSON output (four JSON schemas), per mode — ar, verified (the default
 * lossless plan: draft-head chains, speculative verification) and dynamo (the draft head's chain) —
 * with and without forced runs, against the same mode unconstrained (64 tokens, eos ignored).
 * Rows are interleaved (every configuration runs once per prompt × seed before the next), one
 * warm-up per configuration, onnxruntime-node on the CPU with 1 thread.
 *
 *   npm run build && node packages/structured/bench/structuredOutput.bench.mjs [--seeds 5] [--out file.json]
 *
 * Prints a markdown table, then the JSON report (the last line).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generate, resolveDecoding } from '@dynamojs/generate';
import { loadModel } from '@dynamojs/onnx/node';
import { loadCoOccurrenceTables } from '@dynamojs/samplers';
import { jsonSchemaConstraint } from '@dynamojs/structured';
import { loadTokenizer } from '@dynamojs/tokenizer';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '5' },
    out: { type: 'string' },
    threads: { type: 'string', default: '1' },
  },
});
const seeds = Number(values.seeds);
const threads = Number(values.threads);
const DIR = fileURLToPath(new URL('../../model-tiny/model', import.meta.url));

// the schemas packages/cli/test/structured-output.test.ts validates 200 generations against
const SCHEMAS = JSON.parse(readFileSync(new URL('../examples/schemas.json', import.meta.url), 'utf8'));
const PROMPTS = ['The meaning of life is', 'Here is the record:', 'I am a student at the', 'JSON:'];
const MODES = [
  { name: 'ar', settings: { mode: 'ar' } },
  { name: 'verified', settings: { mode: 'verified' } },
  { name: 'dynamo', settings: { mode: 'dynamo' } },
];
const VARIANTS = [
  { name: 'unconstrained', json: false, forcedRuns: true },
  { name: 'json, no forced runs', json: true, forcedRuns: false },
  { name: 'json + forced runs', json: true, forcedRuns: true },
];

const session = { sessionOptions: { intraOpNumThreads: threads, interOpNumThreads: 1 } };
const tokenizer = await loadTokenizer(`${DIR}/tokenizer.json`);
const multi = await loadModel(DIR, { device: 'cpu', ...session });
const base = await loadModel(DIR, { device: 'cpu', baseOnly: true, draftHead: true, ...session });
const tables = loadCoOccurrenceTables(readFileSync(`${DIR}/ngrams.bin`));
const constraints = [];
const compileMs = [];
for (const s of SCHEMAS) {
  const c = await jsonSchemaConstraint(tokenizer, s);
  constraints.push(c);
  compileMs.push(c.compileMs);
}

function runOnce(mode, variant, schema, prompt, seed) {
  const plan = resolveDecoding(mode.settings, {
    decoding: multi.metadata.decoding,
    heads: multi.metadata.heads,
    draftHead: true,
    tables: true,
    device: 'cpu',
  });
  const model = plan.graph === 'base' ? base : multi;
  const components = plan.create({ draftHead: base.draftHead, tables });
  return generate({
    model,
    tokenizer,
    prompt,
    ...components,
    seed,
    ...(variant.json
      ? { constraint: constraints[schema], forcedRuns: variant.forcedRuns, maxNewTokens: 160 }
      : { maxNewTokens: 64, eos: false }),
  });
}

const configs = MODES.flatMap((mode) => VARIANTS.map((variant) => ({ mode, variant })));
const totals = new Map(
  configs.map((c) => [
    c,
    { tokens: 0, passes: 0, decodeTokens: 0, decodeMs: 0, engineMs: 0, forced: 0, runs: 0, valid: 0 },
  ]),
);
for (const c of configs) await runOnce(c.mode, c.variant, 0, PROMPTS[0], 999); // warm-up
const jobs = [];
for (let seed = 0; seed < seeds; seed++) for (let s = 0; s < SCHEMAS.length; s++) jobs.push({ seed, s });
let done = 0;
for (const { seed, s } of jobs) {
  // interleaved: every configuration once per (schema, seed), rotated so none always runs first
  const order = configs.map((_, i) => configs[(i + done) % configs.length]);
  for (const c of order) {
    const r = await runOnce(c.mode, c.variant, s, PROMPTS[(seed + s) % PROMPTS.length], 1000 + seed);
    const t = totals.get(c);
    t.runs++;
    t.tokens += r.stats.tokens;
    t.passes += r.stats.forwardPasses;
    t.decodeTokens += r.stats.tokens - (r.steps[0] ?? 0);
    t.decodeMs += r.stats.decodeMs;
    t.engineMs += r.stats.constraint?.engineMs ?? 0;
    t.forced += r.stats.constraint?.forcedTokens ?? 0;
    if (c.variant.json) {
      try {
        JSON.parse(r.text);
        t.valid++;
      } catch {}
    }
  }
  done++;
  process.stderr.write(`\r${done}/${jobs.length}`);
}
process.stderr.write('\n');

const rows = configs.map((c) => {
  const t = totals.get(c);
  return {
    mode: c.mode.name,
    variant: c.variant.name,
    runs: t.runs,
    tokensPerPass: t.tokens / t.passes,
    tokensPerSecond: (t.decodeTokens * 1000) / t.decodeMs,
    engineUsPerToken: c.variant.json ? (t.engineMs * 1000) / t.tokens : undefined,
    forcedShare: c.variant.json ? t.forced / t.tokens : undefined,
    tokensPerRun: t.tokens / t.runs,
    validJson: c.variant.json ? t.valid / t.runs : undefined,
  };
});
const ref = (mode, variant) => rows.find((r) => r.mode === mode && r.variant === variant);
const f = (x, d = 2) => (x === undefined ? '—' : x.toFixed(d));
const lines = [
  '| mode | output | tokens / pass | tokens/s | vs same mode unconstrained (tokens/s) | vs json, no forced runs (tokens/s) | engine µs / token | forced tokens | valid JSON |',
  '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
];
for (const r of rows) {
  const u = ref(r.mode, 'unconstrained');
  const n = ref(r.mode, 'json, no forced runs');
  lines.push(
    `| ${r.mode} | ${r.variant} | ${f(r.tokensPerPass)} | ${f(r.tokensPerSecond, 0)} | ${f(r.tokensPerSecond / u.tokensPerSecond)}x | ${r.variant === 'json + forced runs' ? `${f(r.tokensPerSecond / n.tokensPerSecond)}x` : '—'} | ${f(r.engineUsPerToken, 0)} | ${r.forcedShare === undefined ? '—' : `${Math.round(r.forcedShare * 100)}%`} | ${r.validJson === undefined ? '—' : `${Math.round(r.validJson * 100)}%`} |`,
  );
}
const report = {
  command: `node packages/structured/bench/structuredOutput.bench.mjs --seeds ${seeds} --threads ${threads}`,
  model: multi.metadata.name,
  device: 'cpu',
  threads,
  schemas: SCHEMAS.length,
  seeds,
  compileMs,
  rows,
};
console.log(lines.join('\n'));
console.log(JSON.stringify(report));
if (values.out) writeFileSync(values.out, `${JSON.stringify(report, null, 2)}\n`);
await multi.dispose();
await base.dispose();
