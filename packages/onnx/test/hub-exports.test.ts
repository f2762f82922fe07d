/**
 * Hub-layout plain exports (config.json + generation_config.json + tokenizer.json +
 * onnx/model{,_fp16}.onnx) of each decoder family, written with seeded random weights by
 * fixtures/make_hub_exports.py (Debian's /usr/bin/python3 with torch): greedy `ar` with
 * @dynamojs/generate must give exactly the tokens @huggingface/transformers' generate() gives on the
 * same folder, and `verified` with ngramDrafter() the same again.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDynamoError, type MultiTokenModel } from '@dynamojs/core';
import { generate } from '@dynamojs/generate';
import { loadModel } from '@dynamojs/onnx/node';
import { greedy, ngramDrafter } from '@dynamojs/samplers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));
const HUB = join(FIXTURES, 'hub');
const PYTHON = '/usr/bin/python3';
const FAMILIES = ['llama', 'qwen2', 'qwen3', 'phi3', 'gemma', 'gpt2', 'gpt_neox'];

const hasTorch =
  existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch, onnx'], { stdio: 'ignore' }).status === 0;
if (!hasTorch) {
  console.warn(
    `hub-exports: skipped, ${PYTHON} cannot import torch and onnx (apt install python3-torch python3-onnx).`,
  );
}
const session = { sessionOptions: { intraOpNumThreads: 1, interOpNumThreads: 1 } };
const PROMPT = [5, 17, 42, 9, 77, 3];
const N = 24;

interface TfModel {
  generate(o: Record<string, unknown>): Promise<{ data: ArrayLike<bigint | number> }>;
  dispose(): Promise<unknown>;
}
// biome-ignore lint/suspicious/noExplicitAny: transformers.js is untyped here
let tf: any;

async function transformersTokens(family: string, dtype: string): Promise<number[]> {
  tf.env.allowRemoteModels = false;
  tf.env.allowLocalModels = true;
  tf.env.localModelPath = `${HUB}/`;
  const model = (await tf.AutoModelForCausalLM.from_pretrained(family, {
    local_files_only: true,
    device: 'cpu',
    dtype,
    session_options: { intraOpNumThreads: 1, interOpNumThreads: 1 },
  })) as TfModel;
  try {
    const n = PROMPT.length;
    const out = await model.generate({
      input_ids: new tf.Tensor('int64', BigInt64Array.from(PROMPT.map(BigInt)), [1, n]),
      attention_mask: new tf.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
      max_new_tokens: N,
      do_sample: false,
      eos_token_id: null,
    });
    return Array.from(out.data, (v) => Number(v)).slice(n);
  } finally {
    await model.dispose();
  }
}

/** Greedy `ar`, and `verified` with ngramDrafter(), N tokens after PROMPT. */
async function arAndVerified(model: MultiTokenModel) {
  const opts = { model, inputIds: PROMPT, eos: false as const, maxNewTokens: N };
  const ar = await generate({ ...opts, mode: 'ar', sampler: greedy() });
  const v = await generate({ ...opts, mode: 'verified', drafter: ngramDrafter() });
  return { ar, v };
}

/** Appends an (unused) graph input to an ONNX file, with Python's onnx. */
function addInput(file: string, name: string, type: string, shape: string): void {
  const code = [
    'import onnx, sys',
    'm = onnx.load(sys.argv[1])',
    `m.graph.input.append(onnx.helper.make_tensor_value_info('${name}', onnx.TensorProto.${type}, ${shape}))`,
    'onnx.save(m, sys.argv[1])',
  ].join('\n');
  execFileSync(PYTHON, ['-c', code, file]);
}

describe.skipIf(!hasTorch)('hub exports (seeded random weights)', () => {
  beforeAll(() => {
    if (!existsSync(join(HUB, '.done'))) {
      execFileSync(PYTHON, [join(FIXTURES, 'make_hub_exports.py'), HUB], { stdio: 'ignore', timeout: 120_000 });
    }
    return import('@huggingface/transformers').then((m) => {
      tf = m;
    });
  }, 180_000);

  describe.each(FAMILIES)('%s', (family) => {
    const dir = join(HUB, family);

    it('loads; greedy ar = transformers.js generate(), token for token; verified (ngram) = ar', async () => {
      const model = await loadModel(dir, { device: 'cpu', ...session });
      try {
        expect(model.variant).toBe('fp32');
        expect(model.eosTokenIds.length).toBeGreaterThan(0);
        const { ar, v } = await arAndVerified(model);
        const ref = await transformersTokens(family, 'fp32');
        expect(ref).toHaveLength(N);
        // random weights still give a varied continuation (not one repeated token)
        expect(new Set(ref).size).toBeGreaterThan(3);
        expect(ar.tokens).toEqual(ref);
        expect(v.tokens).toEqual(ar.tokens);
      } finally {
        await model.dispose();
      }
    });
  });

  it('qwen3 with a `logits_to_keep` input (newer exports) = qwen3 with `num_logits_to_keep`', async () => {
    const a = await loadModel(join(HUB, 'qwen3'), { device: 'cpu', ...session });
    const b = await loadModel(join(HUB, 'qwen3-logits_to_keep'), { device: 'cpu', ...session });
    try {
      expect(a.graph.logitsToKeepName).toBe('num_logits_to_keep');
      expect(b.graph.logitsToKeepName).toBe('logits_to_keep');
      const opts = { inputIds: PROMPT, mode: 'ar' as const, sampler: greedy(), eos: false as const, maxNewTokens: N };
      const ta = await generate({ model: a, ...opts });
      const tb = await generate({ model: b, ...opts });
      expect(tb.tokens).toEqual(ta.tokens);
    } finally {
      await a.dispose();
      await b.dispose();
    }
  });

  it('llama: GQA heads and head_dim come from the graph; eos list from generation_config.json', async () => {
    const model = await loadModel(join(HUB, 'llama'), { device: 'cpu', ...session });
    try {
      expect(model.graph.kvHeads).toBe(2);
      expect(model.graph.headDim).toBe(8);
      expect(model.eosTokenIds).toEqual([1, 2]);
      expect(model.metadata.specialTokens.eos).toBe(1);
    } finally {
      await model.dispose();
    }
    const gemma = await loadModel(join(HUB, 'gemma'), { device: 'cpu', ...session });
    expect([gemma.graph.kvHeads, gemma.graph.headDim]).toEqual([1, 16]);
    await gemma.dispose();
  });

  it('llama fp16 (float16 KV cache and logits): dtype "fp16" runs and matches transformers.js', async () => {
    const model = await loadModel(join(HUB, 'llama'), { device: 'cpu', dtype: 'fp16', ...session });
    try {
      expect(model.variant).toBe('fp16');
      expect(model.graph.kvType).toBe('float16');
      expect(model.graph.logitsType).toBe('float16');
      const { ar, v } = await arAndVerified(model);
      expect(ar.tokens).toHaveLength(N);
      expect(v.tokens).toEqual(ar.tokens);
      expect(ar.tokens).toEqual(await transformersTokens('llama', 'fp16'));
    } finally {
      await model.dispose();
    }
  });

  describe('typed errors', () => {
    let tmp: string;
    beforeAll(() => {
      tmp = mkdtempSync(join(tmpdir(), 'dynamo-hub-'));
    });
    afterAll(() => rmSync(tmp, { recursive: true, force: true }));

    const code = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (e) {
        if (isDynamoError(e)) return { code: e.code, message: e.message, details: e.details };
        throw e;
      }
      throw new Error('expected an error');
    };

    it('a missing onnx file names the file', async () => {
      const e = await code(loadModel(join(HUB, 'gpt2'), { device: 'cpu', dtype: 'q4' }));
      expect(e.code).toBe('DYNAMO_MODEL_LOAD');
      expect(e.message).toContain(join('onnx', 'model_q4.onnx'));
    });

    it('config.json without model_type', async () => {
      const d = join(tmp, 'no-type');
      cpSync(join(HUB, 'gpt2'), d, { recursive: true });
      writeFileSync(join(d, 'config.json'), JSON.stringify({ vocab_size: 128, n_layer: 2, n_head: 4, n_embd: 32 }));
      const e = await code(loadModel(d, { device: 'cpu' }));
      expect(e.code).toBe('DYNAMO_MODEL_FORMAT');
      expect(e.message).toContain('model_type');
      expect(e.message).toContain('config.json');
    });

    it('an unknown graph input names the input and the file', async () => {
      const d = join(tmp, 'extra-input');
      cpSync(join(HUB, 'gpt2'), d, { recursive: true });
      addInput(join(d, 'onnx', 'model.onnx'), 'token_type_ids', 'INT64', "['batch_size', 'sequence_length']");
      const e = await code(loadModel(d, { device: 'cpu' }));
      expect(e.code).toBe('DYNAMO_MODEL_FORMAT');
      expect(e.message).toContain('token_type_ids');
      expect(e.message).toContain('model.onnx');
    });

    it('an older merged decoder use_cache_branch input is fed (tokens unchanged)', async () => {
      const d = join(tmp, 'gpt2-merged');
      cpSync(join(HUB, 'gpt2'), d, { recursive: true });
      addInput(join(d, 'onnx', 'model.onnx'), 'use_cache_branch', 'BOOL', '[1]');
      const plain = await loadModel(join(HUB, 'gpt2'), { device: 'cpu', ...session });
      const merged = await loadModel(d, { device: 'cpu', ...session });
      try {
        expect(merged.graph.hasUseCacheBranch).toBe(true);
        const opts = { inputIds: PROMPT, mode: 'ar' as const, sampler: greedy(), eos: false as const, maxNewTokens: N };
        expect((await generate({ model: merged, ...opts })).tokens).toEqual(
          (await generate({ model: plain, ...opts })).tokens,
        );
      } finally {
        await plain.dispose();
        await merged.dispose();
        rmSync(d, { recursive: true, force: true });
      }
    });

    it('an unknown dtype', async () => {
      const e = await code(loadModel(join(HUB, 'gpt2'), { device: 'cpu', dtype: 'fp8' }));
      expect(e.code).toBe('DYNAMO_INVALID_OPTION');
      expect(e.message).toContain('dtype');
    });
  });
});
