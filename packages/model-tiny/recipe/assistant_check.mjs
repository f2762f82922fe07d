// Checks the assistant export (recipe/assistant.py export) end to end:
//   1. it is a plain hub / transformers.js export of the base's tokenizer and vocabulary (config.json,
//      tokenizer.json byte-identical to model/base/'s);
//   2. loaded with @dynamojs/onnx, onnxruntime's logits equal PyTorch's (work/assistant/ref, written by
//      the export) for a prefill and for the same tokens fed in cached chunks (the KV cache);
//   3. greedy agreement with the base on held-out text: argmax(assistant) == argmax(base), teacher-forced
//      over windows of the validation split (work/data/val.bin), both through onnxruntime;
//   4. `dynamo generate --assistant DIR --greedy` prints exactly `--mode ar --greedy`'s tokens.
// Usage (from packages/model-tiny/): node recipe/assistant_check.mjs [assistantDir] [refDir] [windows=16]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '@dynamojs/onnx/node';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..', '..');
const baseDir = resolve(here, '..', 'model');
const dir = resolve(process.argv[2] ?? join(root, 'packages', 'model-tiny-assistant', 'model'));
const refDir = resolve(process.argv[3] ?? join(here, 'work', 'assistant', 'ref'));
const windows = Number(process.argv[4] ?? 16);
const CTX = 256;
let failed = 0;
const report = (ok, line) => {
  if (!ok) failed++;
  console.log(`${ok ? 'OK  ' : 'FAIL'} ${line}`);
};

// 1. files: the base's tokenizer and vocabulary
const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
const baseCfg = JSON.parse(readFileSync(join(baseDir, 'base', 'config.json'), 'utf8'));
const same = (f) => readFileSync(join(dir, f)).equals(readFileSync(join(baseDir, 'base', f)));
report(
  cfg.num_hidden_layers === 2 &&
    cfg.vocab_size === baseCfg.vocab_size &&
    cfg.hidden_size === baseCfg.hidden_size &&
    cfg.num_attention_heads === baseCfg.num_attention_heads,
  `config.json: ${cfg.num_hidden_layers} layers, hidden ${cfg.hidden_size}, ${cfg.num_attention_heads} heads, vocabulary ${cfg.vocab_size} (base: ${baseCfg.num_hidden_layers} layers)`,
);
report(
  same('tokenizer.json') && same('tokenizer_config.json') && same('generation_config.json'),
  "tokenizer.json, tokenizer_config.json, generation_config.json are the base's",
);

// 2. onnxruntime vs PyTorch
const meta = JSON.parse(readFileSync(join(refDir, 'ref.json'), 'utf8'));
const bin = readFileSync(join(refDir, 'ref.bin'));
const ref = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
const V = cfg.vocab_size;
const assistant = await loadModel(dir, { device: 'cpu', threads: 1 });
const base = await loadModel(baseDir, { device: 'cpu', threads: 1, baseOnly: true });

async function rows(model, ids, chunks) {
  const cache = model.createCache();
  const out = [];
  let t = 0;
  for (const n of chunks) {
    const r = await model.forward(ids.slice(t, t + n), cache, { positions: 'all', headPositions: 'none' });
    for (let i = 0; i < n; i++) out.push(r.logits(0, i).slice());
    t += n;
  }
  cache.dispose?.();
  return out;
}

const ids = meta.inputIds;
for (const chunks of [[ids.length], [ids.length - 10, 1, 2, 3, 4]]) {
  const got = await rows(assistant, ids, chunks);
  let d = 0;
  got.forEach((row, i) => {
    for (let v = 0; v < V; v++) d = Math.max(d, Math.abs(row[v] - ref[i * V + v]));
  });
  report(
    d <= 1e-4 && got.length === ids.length,
    `onnxruntime vs PyTorch logits, chunks [${chunks}]: max |diff| ${d.toExponential(2)}`,
  );
}

// 3. greedy agreement with the base on held-out text (teacher-forced windows of val.bin)
const valBuf = readFileSync(join(here, 'work', 'data', 'val.bin'));
const val = new Uint16Array(valBuf.buffer.slice(valBuf.byteOffset, valBuf.byteOffset + valBuf.byteLength));
const argmax = (row) => {
  let b = 0;
  for (let v = 1; v < row.length; v++) if (row[v] > row[b]) b = v;
  return b;
};
let agree = 0;
let total = 0;
for (let w = 0; w < windows; w++) {
  const start = Math.floor((w * (val.length - CTX - 1)) / Math.max(1, windows - 1));
  const win = Array.from(val.subarray(start, start + CTX));
  const [a, b] = [await rows(assistant, win, [CTX]), await rows(base, win, [CTX])];
  for (let i = 0; i < CTX; i++) if (argmax(a[i]) === argmax(b[i])) agree++;
  total += CTX;
}
console.log(
  `     greedy agreement with the base on held-out text: ${((100 * agree) / total).toFixed(2)} % of ${total} positions (${windows} windows of ${CTX})`,
);

// pass costs: one cached 1-token pass at ~100 positions of context, 1 thread (median of 300)
async function passMs(model) {
  const cache = model.createCache();
  const ctx = Array.from(val.subarray(0, 100));
  await model.forward(ctx, cache, { positions: 'last', headPositions: 'none' });
  const times = [];
  for (let i = 0; i < 300; i++) {
    const t0 = performance.now();
    await model.forward([ctx[i % 100]], cache, { positions: 'last', headPositions: 'none' });
    times.push(performance.now() - t0);
    cache.trim?.(100);
  }
  cache.dispose?.();
  return times.sort((a, b) => a - b)[150];
}
const [pa, pb] = [await passMs(assistant), await passMs(base)];
console.log(
  `     one-token pass (~100 positions, 1 thread): assistant ${pa.toFixed(3)} ms, base ${pb.toFixed(3)} ms (${(pa / pb).toFixed(2)} of a base pass)`,
);
await assistant.dispose();
await base.dispose();

// 4. the CLI: verified with the assistant == ar, greedy (without --mode verified a DynaMo model runs its
//    default mode, dynamo, which ignores the assistant)
const prompts = process.env.PROMPTS ? JSON.parse(process.env.PROMPTS) : ['The meaning of life is'];
for (const prompt of prompts) {
  const run = (...args) => {
    const r = spawnSync('npx', ['dynamo', 'generate', prompt, '--greedy', '--json', '--max-tokens', '64', ...args], {
      cwd: root,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`dynamo generate ${args.join(' ')} failed:\n${r.stderr}`);
    return JSON.parse(r.stdout.slice(r.stdout.indexOf('{')));
  };
  const ar = run('--mode', 'ar');
  const v = run('--mode', 'verified', '--drafter', 'assistant', '--assistant', dir);
  const tps = v.stats?.tokensPerPass;
  report(
    JSON.stringify(v.tokens) === JSON.stringify(ar.tokens) && v.text === ar.text,
    `dynamo generate ${JSON.stringify(prompt)} --mode verified --drafter assistant --assistant DIR --greedy == --mode ar --greedy (${ar.tokens.length} tokens; mode ${v.stats?.mode}, drafter ${v.settings?.drafter}, ${typeof tps === 'number' ? tps.toFixed(2) : tps} tokens/pass)`,
  );
}
console.log(failed ? `${failed} check(s) failed` : 'all checks passed');
process.exit(failed ? 1 : 0);
