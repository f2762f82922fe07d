#!/usr/bin/env node
// Adapter overhead per decoding step on hub-layout exports: DynaMo.js (`generate`, mode 'ar', greedy)
// vs @huggingface/transformers' generate() on the same folder, graph, dtype and thread count.
//
//   npm run build && /usr/bin/python3 packages/onnx/test/fixtures/make_hub_exports.py   (or run the tests once)
//   node packages/onnx/bench/hubOverhead.bench.mjs [--families a,b] [--dtypes fp32,q4] [--tokens 48]
//        [--rounds 15] [--warmup 3] [--out docs/benchmarks/hub-overhead-cpu.json]
//
// The fixtures are 2-layer, hidden-32 random-weight graphs: a step's arithmetic is a few microseconds,
// so a step's time is almost all per-step overhead (feeds, session.run dispatch, cache handling,
// logits processing) — what the adapter adds, not what the model costs. Each round generates
// --tokens tokens after the same 6-token prompt (the fixtures hold 64 positions) (eos off; both greedy, identical tokens, checked);
// rounds alternate ABBA so machine drift hits both; per-step numbers are medians of round time / tokens.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generate } from '@dynamojs/generate';
import { greedy } from '@dynamojs/samplers';
import * as tf from '@huggingface/transformers';
import { loadModel } from '../dist/node.js';

const HUB = fileURLToPath(new URL('../test/fixtures/hub/', import.meta.url));
const { values } = parseArgs({
  options: {
    families: { type: 'string', default: 'llama,mistral,qwen2,qwen3,phi3,gemma,gemma2,gemma3_text,gpt2,gpt_neox' },
    dtypes: { type: 'string', default: 'fp32,q4' },
    tokens: { type: 'string', default: '48' },
    rounds: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '3' },
    out: { type: 'string' },
  },
});
const N = Number(values.tokens);
const PROMPT = [5, 17, 42, 9, 77, 3];
const threads = { intraOpNumThreads: 1, interOpNumThreads: 1 };
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

tf.env.allowRemoteModels = false;
tf.env.allowLocalModels = true;
tf.env.localModelPath = HUB;

async function oursRunner(family, dtype) {
  const model = await loadModel(join(HUB, family), { device: 'cpu', dtype, sessionOptions: threads });
  return {
    async run() {
      const r = await generate({ model, inputIds: PROMPT, mode: 'ar', sampler: greedy(), eos: false, maxNewTokens: N });
      return [...r.tokens];
    },
    dispose: () => model.dispose(),
  };
}

async function transformersRunner(family, dtype) {
  const model = await tf.AutoModelForCausalLM.from_pretrained(family, {
    local_files_only: true,
    device: 'cpu',
    dtype,
    session_options: threads,
  });
  const n = PROMPT.length;
  return {
    async run() {
      const out = await model.generate({
        input_ids: new tf.Tensor('int64', BigInt64Array.from(PROMPT.map(BigInt)), [1, n]),
        attention_mask: new tf.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
        max_new_tokens: N,
        min_new_tokens: N,
        do_sample: false,
        eos_token_id: null,
      });
      return Array.from(out.data, Number).slice(n);
    },
    dispose: () => model.dispose(),
  };
}

const rows = [];
for (const family of values.families.split(',')) {
  for (const dtype of values.dtypes.split(',')) {
    const ours = await oursRunner(family, dtype);
    const theirs = await transformersRunner(family, dtype);
    const a = await ours.run();
    const b = await theirs.run();
    const identical = a.length === N && a.join() === b.join();
    for (let i = 0; i < Number(values.warmup); i++) {
      await ours.run();
      await theirs.run();
    }
    const t = { ours: [], transformers: [] };
    const time = async (name, r) => {
      const t0 = performance.now();
      await r.run();
      t[name].push((performance.now() - t0) / N);
    };
    for (let i = 0; i < Number(values.rounds); i++) {
      const order =
        i % 2
          ? [
              ['transformers', theirs],
              ['ours', ours],
            ]
          : [
              ['ours', ours],
              ['transformers', theirs],
            ];
      for (const [name, r] of order) await time(name, r);
      for (const [name, r] of order.reverse()) await time(name, r);
    }
    await ours.dispose();
    await theirs.dispose();
    const row = {
      family,
      dtype,
      identical,
      oursMsPerToken: median(t.ours),
      transformersMsPerToken: median(t.transformers),
    };
    row.speedup = row.transformersMsPerToken / row.oursMsPerToken;
    rows.push(row);
    console.error(
      `${family} ${dtype}: ours ${row.oursMsPerToken.toFixed(3)} ms/token, transformers.js ${row.transformersMsPerToken.toFixed(3)} → ${row.speedup.toFixed(2)}x${identical ? '' : ' (TOKENS DIFFER)'}`,
    );
  }
}

const result = {
  bench: 'hub-overhead',
  command: `node packages/onnx/bench/hubOverhead.bench.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  node: process.version,
  transformers: tf.env.version,
  tokens: N,
  rounds: Number(values.rounds),
  threads: 1,
  rows,
};
console.log(
  '| family | dtype | DynaMo.js ms/token | transformers.js ms/token | DynaMo.js speed vs transformers.js | tokens |',
);
console.log('| --- | --- | ---: | ---: | ---: | --- |');
for (const r of rows) {
  console.log(
    `| ${r.family} | ${r.dtype} | ${r.oursMsPerToken.toFixed(3)} | ${r.transformersMsPerToken.toFixed(3)} | ${r.speedup.toFixed(2)}x | ${r.identical ? 'identical' : 'differ'} |`,
  );
}
if (values.out) writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
else console.log(JSON.stringify(result, null, 2));
