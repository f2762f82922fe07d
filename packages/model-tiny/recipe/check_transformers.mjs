// The base-only export must load in @huggingface/transformers as a standard GPT-NeoX model and give
// the PyTorch reference logits (prefill of the reference tokens), and its greedy generate() must
// match a plain onnxruntime-node greedy loop over model.onnx's head 1 (the multi-head graph).
// Usage: node recipe/check_transformers.mjs [modelDir=model] [refDir=recipe/work/ref]
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '@huggingface/tokenizers';
import { AutoModelForCausalLM, AutoTokenizer, env, Tensor } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';

const here = dirname(fileURLToPath(import.meta.url));
const modelDir = resolve(process.argv[2] ?? join(here, '..', 'model'));
const refDir = process.argv[3] ?? join(here, 'work', 'ref');
const meta = JSON.parse(readFileSync(join(refDir, 'ref.json'), 'utf8'));
const bin = readFileSync(join(refDir, 'ref.bin'));
const r0 = meta.base[0];
const ref = new Float32Array(
  bin.buffer.slice(
    bin.byteOffset + r0.logits.offset,
    bin.byteOffset + r0.logits.offset + r0.logits.shape.reduce((a, b) => a * b, 1) * 4,
  ),
);

env.allowRemoteModels = false;
env.localModelPath = `${modelDir}/`;
const model = await AutoModelForCausalLM.from_pretrained('base', { dtype: 'fp32', device: 'cpu' });
const ids = r0.inputIds;
const input_ids = new Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]);
const attention_mask = new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]);
const out = await model({ input_ids, attention_mask });
let d = 0;
for (let i = 0; i < ref.length; i++) d = Math.max(d, Math.abs(out.logits.data[i] - ref[i]));
const okLogits = d <= 1e-4 && out.logits.data.length === ref.length;
console.log(`transformers.js base logits vs PyTorch: max abs diff ${d.toExponential(3)} ${okLogits ? 'OK' : 'FAIL'}`);

// greedy generate() vs our own greedy loop over model.onnx (head 1, KV cache), and over
// model_mixed.onnx (its head 1 is fp32: the same tokens)
const N = 24;
const gen = await model.generate({ input_ids, attention_mask, max_new_tokens: N, do_sample: false, min_new_tokens: N });
const tjs = Array.from(gen.data, Number).slice(ids.length);
const C = meta.layers + meta.extraHeads;

async function greedy(file) {
  const sess = await ort.InferenceSession.create(file);
  const past = Array.from({ length: C }, () => [
    new ort.Tensor('float32', new Float32Array(0), [1, meta.attentionHeads, 0, meta.headDim]),
    new ort.Tensor('float32', new Float32Array(0), [1, meta.attentionHeads, 0, meta.headDim]),
  ]);
  let chunk = ids.slice();
  let P = 0;
  const mine = [];
  while (mine.length < N) {
    const S = chunk.length;
    const feeds = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(chunk.map(BigInt)), [1, S]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(P + S).fill(1n), [1, P + S]),
      position_ids: new ort.Tensor(
        'int64',
        BigInt64Array.from({ length: S }, (_, i) => BigInt(P + i)),
        [1, S],
      ),
      num_logits_to_keep: new ort.Tensor('int64', BigInt64Array.from([1n]), []),
    };
    // the extra heads' logits are not needed: no rows (head_logits_rows), or the last one (older graphs)
    if (sess.inputNames.includes('head_logits_rows'))
      feeds.head_logits_rows = new ort.Tensor('int64', new BigInt64Array(0), [0]);
    else feeds.num_head_logits_to_keep = new ort.Tensor('int64', BigInt64Array.from([1n]), []);
    // a chain: tree_attention_mask in its [1, 1, 1] form (docs/model-format.md)
    if (sess.inputNames.includes('tree_attention_mask'))
      feeds.tree_attention_mask = new ort.Tensor('int64', BigInt64Array.of(1n), [1, 1, 1]);
    for (let i = 0; i < C; i++) {
      feeds[`past_key_values.${i}.key`] = past[i][0];
      feeds[`past_key_values.${i}.value`] = past[i][1];
    }
    const o = await sess.run(feeds);
    const lg = o.logits.data;
    let best = 0;
    for (let v = 1; v < meta.vocabSize; v++) if (lg[v] > lg[best]) best = v;
    mine.push(best);
    for (let i = 0; i < C; i++) past[i] = [o[`present.${i}.key`], o[`present.${i}.value`]];
    P += S;
    chunk = [best];
  }
  await sess.release();
  return mine;
}

let okGen = true;
for (const name of ['model.onnx', 'model_mixed.onnx']) {
  if (!existsSync(join(modelDir, name))) continue;
  const mine = await greedy(join(modelDir, name));
  const same = tjs.length === mine.length && tjs.every((x, i) => x === mine[i]);
  okGen &&= same;
  console.log(
    `greedy ${N} tokens: transformers.js generate() ${same ? '==' : '!='} onnxruntime-node loop over ${name}${same ? '' : `\n  tjs  ${tjs}\n  mine ${mine}`}`,
  );
}
// the base folder's tokenizer in transformers.js == @huggingface/tokenizers on model/tokenizer.json
const text = 'The Lord said unto Moses, \u201cFellow-Citizens\u201d: caf\u00e9 \u6771\u4eac \ud83d\ude80\n\n  end.';
const ttj = await AutoTokenizer.from_pretrained('base');
const a = Array.from(ttj.encode(text, { add_special_tokens: false }));
const b = new Tokenizer(JSON.parse(readFileSync(join(modelDir, 'tokenizer.json'), 'utf8')), {})
  .encode(text)
  .ids.map(Number);
const okTok = a.length === b.length && a.every((x, i) => x === b[i]);
console.log(`transformers.js AutoTokenizer(base) ${okTok ? '==' : '!='} @huggingface/tokenizers on tokenizer.json`);
process.exit(okLogits && okGen && okTok ? 0 : 1);
