/**
 * @dynamojs/model-tiny — the DynaMo-T3 reference model, shipped as files.
 *
 * In the browser (or any bundler that understands `new URL(..., import.meta.url)`), `modelUrl()`
 * gives the URL of the model folder served with your app; in Node, `modelDir()` (from
 * `@dynamojs/model-tiny` too) gives its path on disk.
 */
import { type ModelFileKey, modelFiles } from './files.js';

export type { ModelFileKey };
export { modelFiles };

/** URL of the folder holding dynamo.json, tokenizer.json, model.onnx, ... */
export function modelUrl(): URL {
  return new URL('../model/', import.meta.url);
}

/** URL of one of the model's files. */
export function modelFileUrl(key: ModelFileKey): URL {
  return new URL(modelFiles[key], modelUrl());
}

/** Path of the model folder on disk (Node only: needs a file: URL). */
export function modelDir(): string {
  const url = modelUrl();
  if (url.protocol !== 'file:') {
    throw new Error(
      `@dynamojs/model-tiny: modelDir() needs a file: URL, got ${url.protocol} — use modelUrl() in browsers.`,
    );
  }
  return decodeURIComponent(url.pathname.replace(/^\/([A-Za-z]:)/, '$1'));
}

/** Path of one of the model's files on disk (Node only). */
export function modelFilePath(key: ModelFileKey): string {
  return modelDir() + modelFiles[key];
}
