import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LoadOptions, ModelSource, OnnxModel } from '@dynamojs/onnx';
import { folderSource, loadModel as loadNode } from '@dynamojs/onnx/node';
import { loadModel as loadWeb } from '@dynamojs/onnx/web';

/** The small fixture written by fixtures/make_tiny.py (2 base layers + 2 extra heads, vocab 96). */
export const FIXTURE = fileURLToPath(new URL('./fixtures/tiny', import.meta.url));
/** The reference model, once packages/model-tiny has exported it. */
export const MODEL_TINY = fileURLToPath(new URL('../../model-tiny/model', import.meta.url));

/** fixtures/tiny's weights in a graph with the `tree_attention_mask` input (make_tiny.py --tree). */
export const FIXTURE_TREE = fileURLToPath(new URL('./fixtures/tiny-tree', import.meta.url));

/** Models the behaviour tests run on: the fixture always, model-tiny when it is there. */
export const MODELS: { name: string; dir: string }[] = [
  { name: 'fixture', dir: FIXTURE },
  ...(existsSync(`${MODEL_TINY}/dynamo.json`) && existsSync(`${MODEL_TINY}/model.onnx`)
    ? [{ name: 'model-tiny', dir: MODEL_TINY }]
    : []),
];

/** Models with tree inputs (token trees): the tree fixture always, model-tiny when it is there. */
export const TREE_MODELS: { name: string; dir: string }[] = [
  { name: 'fixture-tree', dir: FIXTURE_TREE },
  ...MODELS.filter((m) => m.name === 'model-tiny'),
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

/** max |a - b| relative to the larger row's scale (max |logit|, at least 1). */
export function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(a[i] as number), Math.abs(b[i] as number));
  return maxAbsDiff(a, b) / scale;
}

/** A deterministic random token tree of n nodes: parents[i] in [-1, i - 1], leaning towards deep chains. */
export function randomTree(n: number, seed: number): number[] {
  let x = seed >>> 0 || 1;
  const next = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 4294967296;
  };
  const parents: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = next();
    parents.push(i === 0 ? -1 : u < 0.4 ? i - 1 : Math.floor(next() * (i + 1)) - 1);
  }
  return parents;
}

/** The root-to-node path (node indices) ending at `node`. */
export function pathTo(parents: readonly number[], node: number): number[] {
  const path: number[] = [];
  for (let i = node; i >= 0; i = parents[i] as number) path.push(i);
  return path.reverse();
}
