/**
 * Hub-layout plain exports (config.json + generation_config.json + tokenizer.json +
 * onnx/model{,_fp16,_q4,_quantized}.onnx) of each decoder family, written with seeded random weights
 * by fixtures/make_hub_exports.py (Debian's /usr/bin/python3 with torch): greedy `ar` with
 * @dynamojs/generate must give exactly the tokens @huggingface/transformers' generate() gives on the
 * same folder and dtype, and `verified` with ngramDrafter() the same again.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDynamoError, type MultiTokenModel } from '@dynamojs/core';
import { generate } from '@dynamojs/generate';
import { loadModel } from '@dynamojs/onnx/node';
import { greedy, ngramDrafter } from '@dynamojs/samplers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureHubExports, HUB, hasTorch, PYTHON } from './fixtures/hubExports.js';

const FAMILIES = ['llama', 'mistral', 'qwen2', 'qwen3', 'phi3', 'gemma', 'gemma2', 'gemma3_text', 'gpt2', 'gpt_neox'];
/** transformers.js dtype → what the fixture's file is. */
const VARIANTS = {
  q4: 'MatMulNBits, 4 bits',
  q8: 'dynamic quantization, MatMulInteger',
  fp16: 'float16 KV cache and logits',
} as const;
const VARIANT_FILE = { q4: 'model_q4.onnx', q8: 'model_quantized.onnx', fp16: 'model_fp16.onnx' } as const;

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

/** Greedy `ar` tokens, N after PROMPT. */
async function greedyTokens(model: MultiTokenModel): Promise<number[]> {
  const r = await generate({ model, inputIds: PROMPT, mode: 'ar', sampler: greedy(), eos: false, maxNewTokens: N });
  return [...r.tokens];
}

describe.skipIf(!hasTorch)('hub exports (seeded random weights)', () => {
  /** Scratch copies of fixture folders, removed afterwards. */
  let tmp: string;
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'dynamo-hub-'));
    ensureHubExports();
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

    it.each(Object.entries(VARIANTS))('dtype %s (%s): ar = transformers.js', async (dtype) => {
      const model = await loadModel(dir, { device: 'cpu', dtype, ...session });
      try {
        expect(model.variant).toBe(dtype);
        expect(model.file).toContain(VARIANT_FILE[dtype as keyof typeof VARIANT_FILE]);
        const { ar, v } = await arAndVerified(model);
        const ref = await transformersTokens(family, dtype);
        expect(new Set(ref).size).toBeGreaterThan(3);
        expect(ar.tokens).toEqual(ref);
        expect(v.tokens).toHaveLength(N);
        // fp16 and MatMulNBits (no activation quantization) compute each row alone: verified = ar. Dynamic
        // quantization (q8) scales the activations by the min/max of the whole pass, so a row's logits
        // depend on the other rows of its pass: verified (several rows per pass) may differ from ar
        if (dtype !== 'q8') expect(v.tokens).toEqual(ar.tokens);
        // ... and the model says so: the resolver does not call verified lossless on it
        expect(model.metadata.passInvariant).toBe(dtype === 'q8' ? false : undefined);
      } finally {
        await model.dispose();
      }
    });
  });

  it('gemma3_text gets 1-based position_ids as transformers.js feeds them; gemma 0-based', async () => {
    for (const [family, first] of [
      ['gemma3_text', 1n],
      ['gemma', 0n],
    ] as const) {
      const model = await loadModel(join(HUB, family), { device: 'cpu', ...session });
      const run = model.session.run.bind(model.session);
      const seen: bigint[][] = [];
      model.session.run = ((feeds: Record<string, { data: unknown }>, ...rest: unknown[]) => {
        seen.push(Array.from(feeds.position_ids?.data as BigInt64Array));
        return (run as (...a: unknown[]) => unknown)(feeds, ...rest);
      }) as typeof model.session.run;
      try {
        const cache = model.createCache();
        await model.forward(PROMPT, cache);
        await model.forward([7], cache);
        expect(seen[0]).toEqual(PROMPT.map((_, i) => first + BigInt(i)));
        expect(seen[1]).toEqual([first + BigInt(PROMPT.length)]);
      } finally {
        await model.dispose();
      }
    }
  });

  describe('external data in chunks (model.onnx_data, model.onnx_data_1)', () => {
    it('as config.json transformers.js_config lists them: = llama and = transformers.js', async () => {
      const model = await loadModel(join(HUB, 'llama-external'), { device: 'cpu', ...session });
      const plain = await loadModel(join(HUB, 'llama'), { device: 'cpu', ...session });
      try {
        const tokens = await greedyTokens(model);
        expect(tokens).toEqual(await greedyTokens(plain));
        expect(tokens).toEqual(await transformersTokens('llama-external', 'fp32'));
      } finally {
        await model.dispose();
        await plain.dispose();
      }
    });

    it('without transformers.js_config: found next to the file; a listed chunk that is missing is named', async () => {
      const d = join(tmp, 'unlisted');
      cpSync(join(HUB, 'llama-external'), d, { recursive: true });
      const config = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8'));
      delete config['transformers.js_config'];
      writeFileSync(join(d, 'config.json'), JSON.stringify(config));
      const model = await loadModel(d, { device: 'cpu', ...session });
      await model.dispose();

      const m = join(tmp, 'missing-chunk');
      cpSync(join(HUB, 'llama-external'), m, { recursive: true });
      unlinkSync(join(m, 'onnx', 'model.onnx_data_1'));
      await expect(loadModel(m, { device: 'cpu' })).rejects.toMatchObject({
        code: 'DYNAMO_MODEL_LOAD',
        message: expect.stringContaining(join('onnx', 'model.onnx_data_1')),
      });
    });
  });

  it('dtype as transformers.js chooses it: transformers.js_config.dtype, device_config, the option first', async () => {
    const d = join(tmp, 'gpt2-dtype');
    cpSync(join(HUB, 'gpt2'), d, { recursive: true });
    const config = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8'));
    const write = (tjs: unknown) =>
      writeFileSync(join(d, 'config.json'), JSON.stringify({ ...config, 'transformers.js_config': tjs }));
    const variant = async (o: Record<string, unknown>) => {
      const model = await loadModel(d, { device: 'cpu', ...o });
      await model.dispose();
      return model.variant;
    };
    write({ dtype: 'q4' });
    expect(await variant({})).toBe('q4');
    expect(await variant({ dtype: 'fp32' })).toBe('fp32');
    expect(await variant({ dtype: 'auto' })).toBe('q4');
    write({ dtype: { model: 'q8' }, device_config: { cpu: { dtype: 'q4' } } });
    expect(await variant({})).toBe('q4');
    expect(await variant({ device: 'auto' })).toBe('q8');
  });

  it('qwen3 with a `logits_to_keep` input (newer exports) = qwen3 with `num_logits_to_keep`', async () => {
    const a = await loadModel(join(HUB, 'qwen3'), { device: 'cpu', ...session });
    const b = await loadModel(join(HUB, 'qwen3-logits_to_keep'), { device: 'cpu', ...session });
    try {
      expect(a.graph.logitsToKeepName).toBe('num_logits_to_keep');
      expect(b.graph.logitsToKeepName).toBe('logits_to_keep');
      expect(await greedyTokens(b)).toEqual(await greedyTokens(a));
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
      expect(model.metadata.eosTokenIds).toEqual([1, 2]);
      expect(model.metadata.passInvariant).toBeUndefined();
      // generate's default eos is the whole list: with the run's 5th token as the list's second
      // id, a run stops there ("eos"), as transformers.js does
      const free = await greedyTokens(model);
      const d = join(tmp, 'eos-list');
      cpSync(join(HUB, 'llama'), d, { recursive: true });
      const first = [...Array(128).keys()].find((t) => !free.includes(t)) as number;
      writeFileSync(join(d, 'generation_config.json'), JSON.stringify({ eos_token_id: [first, free[4]] }));
      const listed = await loadModel(d, { device: 'cpu', ...session });
      try {
        expect(listed.metadata.eosTokenIds).toEqual([first, free[4]]);
        const stopped = await generate({
          model: listed,
          inputIds: PROMPT,
          mode: 'ar',
          sampler: greedy(),
          maxNewTokens: N,
        });
        // (the eos token ends the run and is not part of the output)
        expect([...stopped.tokens]).toEqual(free.slice(0, free.indexOf(free[4] as number)));
        expect(stopped.finishReason).toBe('eos');
      } finally {
        await listed.dispose();
      }
    } finally {
      await model.dispose();
    }
    const gemma = await loadModel(join(HUB, 'gemma'), { device: 'cpu', ...session });
    expect([gemma.graph.kvHeads, gemma.graph.headDim]).toEqual([1, 16]);
    await gemma.dispose();
  });

  // On Node 24 (native Float16Array) this also checks that the float16 cache is fed as onnxruntime-node
  // can read it (a Float16Array feed reads as 0 bytes there; see half.ts float16Feedable).
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
      const e = await code(loadModel(join(HUB, 'gpt2'), { device: 'cpu', dtype: 'q4f16' }));
      expect(e.code).toBe('DYNAMO_MODEL_LOAD');
      expect(e.message).toContain(join('onnx', 'model_q4f16.onnx'));
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
        expect(await greedyTokens(merged)).toEqual(await greedyTokens(plain));
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
