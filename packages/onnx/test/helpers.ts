import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LoadOptions, ModelSource, OnnxModel } from '@dynamojs/onnx';
import { folderSource, loadModel as loadNode } from '@dynamojs/onnx/node';
import { loadModel as loadWeb } from '@dynamojs/onnx/web';

/** The small fixture written by fixtures/make_tiny.py (2 base layers + 2 extra heads, vocab 96). */
export const FIXTURE = fileURLToPath(new URL('./fixtures/tiny', import.meta.url));
/** The reference model, once packages/model-tiny has exported it. */
export const MODEL_TINY = fileURLToPath(new URL('../../model-tiny/model', import.meta.url));

/** Models the behaviour tests run on: the fixture always, model-tiny when it is there. */
export const MODELS: { name: string; dir: string }[] = [
  { name: 'fixture', dir: FIXTURE },
  ...(existsSync(`${MODEL_TINY}/dynamo.json`) && existsSync(`${MODEL_TINY}/model.onnx`)
    ? [{ name: 'model-tiny', dir: MODEL_TINY }]
    : []),
];

export interface RuntimeCase {
  readonly name: string;
  load(source: string | ModelSource, options?: LoadOptions): Promise<OnnxModel>;
  /** The runtime's Tensor class (its outputs are instances of it). */
  tensorClass(): Promise<{ prototype: { dispose(): void } }>;
}

/** onnxruntime-node on the CPU, and onnxruntime-web's wasm backend in Node. */
export const RUNTIMES: RuntimeCase[] = [
  {
    name: 'onnxruntime-node cpu',
    load: (source, options) => loadNode(source, { device: 'cpu', ...options }),
    tensorClass: async () => (await import('onnxruntime-node')).Tensor,
  },
  {
    name: 'onnxruntime-web wasm',
    load: (source, options) =>
      loadWeb(typeof source === 'string' ? folderSource(source) : source, {
        device: 'wasm',
        wasm: { numThreads: 1 },
        ...options,
      }),
    tensorClass: async () => (await import('onnxruntime-web')).Tensor,
  },
];

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

/** Deterministic token ids in [1, vocab). */
export function tokens(n: number, vocab: number, seed = 7): number[] {
  const out: number[] = [];
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out.push(1 + (x % (vocab - 1)));
  }
  return out;
}
