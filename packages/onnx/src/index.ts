/**
 * @dynamojs/onnx — core's MultiTokenModel over ONNX Runtime, for models in the DynaMo.js model
 * format (docs/model-format.md) and plain transformers.js-layout decoder exports (1 head).
 *
 * This entry is runtime-agnostic (no ONNX Runtime import): use `@dynamojs/onnx/node`
 * (onnxruntime-node) or `@dynamojs/onnx/web` (onnxruntime-web), or call `loadWithContext` with
 * your own runtime module.
 */

export type { CacheOwner } from './cache.js';
export { OnnxKVCache } from './cache.js';
export type {
  DeviceAttempt,
  DeviceAvailability,
  DeviceName,
  DevicePlatform,
  DeviceProbe,
  DeviceReport,
  DeviceRequest,
} from './devices.js';
export { DEVICE_NAMES, deviceUnavailable, errorMessage, selectDevice } from './devices.js';
export type { DownloadProgress, ProgressCallback } from './downloadProgress.js';
export type { CacheLike, CacheOption } from './fileCache.js';
export { DEFAULT_CACHE_NAME } from './fileCache.js';
export type { GraphSpec } from './graph.js';
export { inspectGraph } from './graph.js';
export type { LoaderContext, LoadOptions } from './loadOptions.js';
export { loadWithContext } from './loadWithContext.js';
export type { OnnxModelParts } from './model.js';
export { OnnxModel } from './model.js';
export type { OrtRuntime, OrtSession, OrtTensor, SessionOptions, ValueMetadata } from './runtime.js';
export type { FileBytes, ModelSource } from './source.js';
export { bufferSource, sha256Hex } from './source.js';
export type { UrlLoadOptions, UrlSourceOptions } from './urlSource.js';
export { urlSource } from './urlSource.js';
export { tokenizerVocabSize } from './vocabCheck.js';
export type { WasmSettings } from './wasmSettings.js';
