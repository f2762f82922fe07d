#!/usr/bin/env node
// The static KV cache (`loadModel(…, { kvCache: 'static' })`) vs the dynamic one: what a decoding
// step costs at several context lengths, on each device, side by side.
//
//   node packages/onnx/bench/staticKvCache.bench.mjs [--model DIR] [--devices webgpu,cpu]
//        [--contexts 128,512,2048] [--capacity N] [--steps 16] [--rounds 3] [--threads 1]
//        [--adapter PATH] [--budget-s N] [--out file.json] [--md file.md]
//
// --model (default packages/model-tiny/model/base: the bundled model's base-only graph as a plain
// export, whose context is its max_position_embeddings, 2048) is loaded twice per device, with the
// dynamic cache and with kvCache 'static' (capacity --capacity, default the context length). Each
// round, for each context length L and each cache (interleaved, so a shared machine's noise hits
// both alike), a fresh cache is filled with L - steps prompt tokens in one pass (not timed), then
//   decode   --steps one-token passes (an `ar` step), and
//   verify   --steps passes of a 4-token chain keeping 2 (a `verified` step that rejects 2 drafts:
//            forward 4, trim 2 — the dynamic cache slices its tensors at the next pass, the
//            static one only moves its length)
// are timed; the minimum over rounds of each pattern's mean ms per step is reported, with
// dynamic / static (> 1: the static cache is faster). The prompt is trimmed back between the
// patterns. WebGPU runs through onnxruntime-node's WebGPU EP (set VK_ICD_FILENAMES for
// SwiftShader without a GPU); cpu with --threads intra-op threads. --adapter: the @dynamojs/onnx
// node entry to import (default the package's built dist; the GPU kit passes its bundle).
// Prints a table, writes JSON (--out) and markdown (--md).
import { existsSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    model: { type: 'string', default: resolve(here, '../../model-tiny/model/base') },
    devices: { type: 'string', default: 'webgpu,cpu' },
    contexts: { type: 'string', default: '128,512,2048' },
    capacity: { type: 'string' },
    steps: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '3' },
    threads: { type: 'string', default: '1' },
    adapter: { type: 'string' },
    'budget-s': { type: 'string' },
    out: { type: 'string' },
    md: { type: 'string' },
  },
});
const adapter = values.adapter
  ? pathToFileURL(resolve(values.adapter)).href
  : existsSync(resolve(here, '../dist/node.js'))
    ? pathToFileURL(resolve(here, '../dist/node.js')).href
    : '@dynamojs/onnx/node';
const { loadModel } = await import(adapter);
const devices = values.devices.split(',').filter(Boolean);
const steps = Number(values.steps);
const rounds = Number(values.rounds);
const deadline = values['budget-s'] ? Date.now() + Number(values['budget-s']) * 1000 : Number.POSITIVE_INFINITY;
const CHAIN = 4;
const KEEP = 2;

function ids(n, vocab, seed) {
  const out = [];
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out.push(1 + (x % (vocab - 1)));
  }
  return out;
}

/** Mean ms per step of `run()` over `steps` calls. */
async function time(run) {
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await run(i);
  return (performance.now() - t0) / steps;
}

const results = [];
const notes = [];
for (const device of devices) {
  const session = device === 'cpu' ? { sessionOptions: { intraOpNumThreads: Number(values.threads) } } : {};
  let dynamic;
  let fixed;
  try {
    dynamic = await loadModel(values.model, { device, ...session });
    const context = dynamic.metadata.contextLength;
    const capacity = values.capacity ? Number(values.capacity) : context;
    fixed = await loadModel(values.model, { device, kvCache: 'static', kvCapacity: capacity, ...session });
  } catch (error) {
    notes.push(`${device}: ${error.code ?? ''} ${error.message}`);
    console.error(`${device}: skipped: ${error.message}`);
    await dynamic?.dispose();
    continue;
  }
  const { vocabSize, contextLength } = dynamic.metadata;
  const contexts = values.contexts
    .split(',')
    .map(Number)
    .filter((L) => L > steps * CHAIN && L <= Math.min(contextLength, fixed.kvCapacity));
  const best = new Map();
  for (let round = 0; round < rounds && Date.now() < deadline; round++) {
    for (const L of contexts) {
      for (const [kind, model] of round % 2 === 0
        ? [
            ['dynamic', dynamic],
            ['static', fixed],
          ]
        : [
            ['static', fixed],
            ['dynamic', dynamic],
          ]) {
        if (Date.now() >= deadline) break;
        const P = L - steps * CHAIN;
        const cache = model.createCache();
        const prompt = ids(P, vocabSize, 7 + L);
        const next = ids(steps * CHAIN, vocabSize, 99);
        const t0 = performance.now();
        await model.forward(prompt, cache);
        const prefill = performance.now() - t0;
        await model.forward([next[0]], cache); // warm the step's shapes
        const decode = await time((i) => model.forward([next[i]], cache));
        cache.trim(P);
        await model.forward(next.slice(0, CHAIN), cache); // warm the chain's shapes
        cache.trim(cache.length - (CHAIN - KEEP)); // steady state: each pass applies the last trim
        const verify = await time(async (i) => {
          await model.forward(next.slice(i * CHAIN, (i + 1) * CHAIN), cache);
          cache.trim(cache.length - (CHAIN - KEEP));
        });
        cache.dispose();
        for (const [pattern, ms] of [
          ['decode', decode],
          ['verify', verify],
          ['prefill', prefill],
        ]) {
          const key = `${device}|${L}|${pattern}|${kind}`;
          best.set(key, Math.min(best.get(key) ?? Number.POSITIVE_INFINITY, ms));
        }
        console.error(
          `round ${round} ${device} L=${L} ${kind}: decode ${decode.toFixed(2)} ms, verify ${verify.toFixed(2)} ms, prefill ${prefill.toFixed(0)} ms`,
        );
      }
    }
  }
  for (const L of contexts) {
    for (const pattern of ['decode', 'verify', 'prefill']) {
      const d = best.get(`${device}|${L}|${pattern}|dynamic`);
      const s = best.get(`${device}|${L}|${pattern}|static`);
      if (d === undefined || s === undefined) continue;
      results.push({
        device,
        adapter: dynamic.deviceReport.summary,
        context: L,
        capacity: fixed.kvCapacity,
        pattern,
        dynamicMs: Number(d.toFixed(3)),
        staticMs: Number(s.toFixed(3)),
        speedup: Number((d / s).toFixed(3)),
      });
    }
  }
  await dynamic.dispose();
  await fixed.dispose();
}

const env = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  loadavg: loadavg().map((x) => Number(x.toFixed(2))),
  icd: process.env.VK_ICD_FILENAMES ?? null,
  model: values.model,
  steps,
  rounds,
  threads: Number(values.threads),
  chain: CHAIN,
  keep: KEEP,
};
const rows = results.map(
  (r) =>
    `| ${r.device} | ${r.context} | ${r.pattern} | ${r.dynamicMs.toFixed(2)} | ${r.staticMs.toFixed(2)} | ${r.speedup.toFixed(2)}x |`,
);
const md = [
  '| device | context | pattern | dynamic ms | static ms | dynamic / static |',
  '| --- | ---: | --- | ---: | ---: | ---: |',
  ...rows,
].join('\n');
const argv = process.argv.slice(2).join(' ');
const report = `# Static vs dynamic KV cache (generated)\n\n\`node packages/onnx/bench/staticKvCache.bench.mjs ${argv}\`\n\n${
  env.date
}, ${env.cpus} × ${env.cpuModel}, Node ${env.node}, load ${env.loadavg.join(' ')}, ICD ${env.icd ?? 'none'}; ${steps} steps × ${rounds} rounds, min over rounds. decode: one-token passes; verify: a ${CHAIN}-token chain then trim ${CHAIN - KEEP}; prefill: the prompt in one pass (per call, ms).\n\n${md}\n${
  notes.length ? `\n${notes.map((n) => `- ${n}`).join('\n')}\n` : ''
}`;
console.log(md);
if (notes.length) console.log(notes.join('\n'));
const json = { env, results, notes };
if (values.out) writeFileSync(values.out, `${JSON.stringify(json, null, 2)}\n`);
if (values.md) writeFileSync(values.md, report);
