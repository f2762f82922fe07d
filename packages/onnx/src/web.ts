/**
 * @dynamojs/onnx/web — load DynaMo (and plain transformers.js-layout) ONNX models with
 * onnxruntime-web: devices `webgpu`, `wasm` (`'auto'`: webgpu → wasm). Works in browsers, and in
 * Node (wasm only).
 */
import * as ortWeb from 'onnxruntime-web';
import type { DeviceAvailability, DeviceName, DevicePlatform } from './devices.js';
import type { LoadOptions } from './loadOptions.js';
import { loadWithContext } from './loadWithContext.js';
import type { OnnxModel } from './model.js';
import type { OrtRuntime } from './runtime.js';
import { bufferSource, type FileBytes, type ModelSource } from './source.js';
import { type UrlLoadOptions, urlSource, urlSourceOptions } from './urlSource.js';

export * from './index.js';

interface GpuLike {
  requestAdapter(): Promise<unknown>;
}

/** Browser device checks: WebGPU needs `navigator.gpu` and an adapter; wasm needs WebAssembly. */
export async function webDeviceProbe(device: DeviceName): Promise<DeviceAvailability> {
  if (device === 'wasm') return typeof WebAssembly === 'object' ? true : 'WebAssembly is not available';
  if (device !== 'webgpu') return `"${device}" is an onnxruntime-node device: use @dynamojs/onnx/node`;
  const gpu = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
  if (!gpu) return 'navigator.gpu is missing (this browser or runtime has no WebGPU, or it is disabled)';
  try {
    const adapter = await gpu.requestAdapter();
    return adapter ? true : 'navigator.gpu.requestAdapter() returned null (no usable GPU adapter)';
  } catch (error) {
    return `navigator.gpu.requestAdapter() failed: ${(error as Error).message}`;
  }
}

export const webPlatform: DevicePlatform = { name: 'web', autoOrder: ['webgpu', 'wasm'], probe: webDeviceProbe };

export type WebModelSource = string | URL | Readonly<Record<string, FileBytes>> | ModelSource;

export interface WebLoadOptions extends LoadOptions, UrlLoadOptions {
  /** Another onnxruntime-web build (e.g. `import * as ort from 'onnxruntime-web/webgpu'`). */
  readonly ort?: OrtRuntime;
}

function toSource(source: WebModelSource, options: WebLoadOptions): ModelSource {
  if (typeof source === 'string' || source instanceof URL) {
    const base = (globalThis as { location?: { href: string } }).location?.href;
    return urlSource(base ? new URL(String(source), base) : source, urlSourceOptions(options));
  }
  if (typeof (source as ModelSource).read === 'function' && typeof (source as ModelSource).locate === 'function') {
    return source as ModelSource;
  }
  return bufferSource(source as Record<string, FileBytes>);
}

/**
 * Loads a model from a base URL (or in-memory files) with onnxruntime-web.
 *
 * ```ts
 * const model = await loadModel('/models/dynamo-tiny/', { device: 'auto', wasm: { wasmPaths: '/ort/' } });
 * ```
 *
 * From a URL, files are streamed with progress (`onProgress`) and kept in the Cache API
 * (`cache`, default the `dynamojs-models` cache): the next load reads them from there.
 */
export async function loadModel(source: WebModelSource, options: WebLoadOptions = {}): Promise<OnnxModel> {
  const ort = options.ort ?? (ortWeb as unknown as OrtRuntime);
  return loadWithContext({ ort, platform: webPlatform, source: toSource(source, options) }, options);
}
