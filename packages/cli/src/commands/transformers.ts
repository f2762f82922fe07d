import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DynamoError, DynamoErrorCode } from '@dynamojs/core';

/** Greedy generation with @huggingface/transformers on a model folder's base-only export. */
export interface TransformersRunner {
  /** Greedy tokens after `ids` (prompt excluded); `stopAtEos` false (default) ignores eos. */
  generate(
    ids: readonly number[],
    maxNewTokens: number,
    stopAtEos?: boolean,
  ): Promise<{ tokens: number[]; ms: number }>;
  dispose(): Promise<void>;
}

interface TfModule {
  env: { allowRemoteModels: boolean; allowLocalModels: boolean; localModelPath: string };
  AutoModelForCausalLM: {
    from_pretrained(id: string, options: Record<string, unknown>): Promise<TfModel>;
  };
  Tensor: new (type: string, data: BigInt64Array, dims: number[]) => unknown;
}

interface TfModel {
  generate(options: Record<string, unknown>): Promise<{ data: BigInt64Array | number[]; dims: number[] }>;
  dispose(): Promise<unknown>;
}

/**
 * Loads `<dir>/base` (config.json + onnx/model.onnx) with transformers.js, offline, on the CPU,
 * fp32, with the given intra-op threads. Optional: needs @huggingface/transformers installed.
 */
export async function transformersRunner(dir: string, threads: number | undefined): Promise<TransformersRunner> {
  const baseDir = join(dir, 'base');
  if (!existsSync(join(baseDir, 'onnx', 'model.onnx'))) {
    throw new DynamoError(DynamoErrorCode.MODEL_LOAD, `--transformers needs a base-only export at ${baseDir}.`, {
      details: { file: baseDir },
    });
  }
  let tf: TfModule;
  try {
    const name = '@huggingface/transformers';
    tf = (await import(/* @vite-ignore */ name)) as TfModule;
  } catch (cause) {
    throw new DynamoError(
      DynamoErrorCode.MODEL_LOAD,
      '--transformers needs @huggingface/transformers (npm install @huggingface/transformers).',
      { cause },
    );
  }
  tf.env.allowRemoteModels = false;
  tf.env.allowLocalModels = true;
  tf.env.localModelPath = `${dirname(baseDir)}/`;
  const model = await tf.AutoModelForCausalLM.from_pretrained(basename(baseDir), {
    local_files_only: true,
    device: 'cpu',
    dtype: 'fp32',
    ...(threads !== undefined && { session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 } }),
  });
  return {
    async generate(ids, maxNewTokens, stopAtEos = false) {
      const n = ids.length;
      const input_ids = new tf.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, n]);
      const attention_mask = new tf.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]);
      const t0 = performance.now();
      const out = await model.generate({
        input_ids,
        attention_mask,
        max_new_tokens: maxNewTokens,
        do_sample: false,
        // No eos stopping (like eos: false on our side): exactly maxNewTokens greedy tokens.
        ...(!stopAtEos && { eos_token_id: null }),
      });
      const ms = performance.now() - t0;
      const all = Array.from(out.data as ArrayLike<bigint | number>, (v) => Number(v));
      return { tokens: all.slice(n), ms };
    },
    async dispose() {
      await model.dispose();
    },
  };
}
