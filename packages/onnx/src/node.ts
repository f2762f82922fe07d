/**
 * @dynamojs/onnx/node — load DynaMo (and plain transformers.js-layout) ONNX models in Node with
 * onnxruntime-node: devices `cpu`, `cuda`, `webgpu` (`'auto'`: cuda → webgpu → cpu).
 */
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoError, DynamoErrorCode } from '@dynamojs/core';
import * as ortNode from 'onnxruntime-node';
import type { DeviceAvailability, DeviceName, DevicePlatform } from './devices.js';
import type { LoadOptions } from './loadOptions.js';
import { loadWithContext } from './loadWithContext.js';
import type { OnnxModel } from './model.js';
import type { OrtRuntime } from './runtime.js';
import { bufferSource, type FileBytes, type ModelSource } from './source.js';
import { type UrlLoadOptions, urlSource, urlSourceOptions } from './urlSource.js';

export * from './index.js';

/** A model folder on disk. */
export function folderSource(dir: string): ModelSource {
  const root = resolve(dir);
  return {
    description: root,
    kind: 'folder',
    locate: (path) => join(root, path),
    async read(path) {
      try {
        return await readFile(join(root, path));
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new DynamoError(DynamoErrorCode.IO, `Could not read ${join(root, path)}: ${(cause as Error).message}`, {
          details: { file: join(root, path) },
          cause,
        });
      }
    },
  };
}

interface Backend {
  readonly name: string;
  readonly bundled: boolean;
}

function ortBinFolder(): string | undefined {
  try {
    const main = createRequire(import.meta.url).resolve('onnxruntime-node');
    return join(main, '..', '..', 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return undefined;
  }
}

const DEVICES_DOC = 'https://github.com/dynamojs/dynamojs/blob/main/docs/devices.md';

const CUDA_HINT =
  'reinstall onnxruntime-node with its CUDA 12 libraries: ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node ' +
  '(its install script downloads them; onnxruntime-node-install=skip in an .npmrc, or --ignore-scripts, skips that); ' +
  `see ${DEVICES_DOC}`;

const LIB_DIRS = [
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/usr/lib64',
  '/usr/lib',
  '/lib/x86_64-linux-gnu',
  '/usr/local/lib',
];

/** Node device checks (cheap; creating the session is the real test). */
export function nodeDeviceProbe(ort: OrtRuntime = ortNode as unknown as OrtRuntime) {
  const list = (ort as { listSupportedBackends?: () => Backend[] }).listSupportedBackends;
  let backends: Backend[] | undefined;
  try {
    backends = list?.();
  } catch {
    backends = undefined;
  }
  return (device: DeviceName): DeviceAvailability => {
    if (device === 'cpu') return true;
    if (device === 'wasm') return "the wasm device is onnxruntime-web's: use @dynamojs/onnx/web";
    const backend = backends?.find((b) => b.name === device);
    if (backends && !backend) return `this onnxruntime-node build has no ${device} execution provider`;
    if (device === 'cuda') {
      if (!((process.platform === 'linux' || process.platform === 'win32') && process.arch === 'x64')) {
        return `onnxruntime-node ships CUDA support only for linux/x64 and win32/x64 (this is ${process.platform}/${process.arch})`;
      }
      if (backend && !backend.bundled) {
        const bin = ortBinFolder();
        const lib =
          process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
        if (!bin || !existsSync(join(bin, lib))) {
          return `onnxruntime-node's CUDA provider (${lib}) is not installed${bin ? ` in ${bin}` : ''}: ${CUDA_HINT}`;
        }
      }
      return true;
    }
    if (device === 'webgpu' && process.platform === 'linux') {
      const extra = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
      if (![...extra, ...LIB_DIRS].some((d) => existsSync(join(d, 'libvulkan.so.1')))) {
        return `the Vulkan loader (libvulkan.so.1) is not installed (Debian/Ubuntu: apt install libvulkan1); see ${DEVICES_DOC}`;
      }
    }
    return true;
  };
}

/** In `'auto'`, pass over WebGPU when Vulkan is pinned to a software driver (slower than the CPU EP). */
function nodeAutoProbe(device: DeviceName): DeviceAvailability {
  if (device !== 'webgpu') return true;
  const icd = process.env.VK_ICD_FILENAMES ?? process.env.VK_DRIVER_FILES ?? '';
  const files = icd.split(/[:;]/).filter(Boolean);
  if (files.length > 0 && files.every((f) => /swiftshader|lvp|lavapipe|mock/i.test(f))) {
    return `Vulkan is pinned to a software driver (${icd}), slower than the CPU: request device "webgpu" explicitly to use it`;
  }
  if (process.platform === 'linux' && files.length === 0 && !hasGpuDeviceNode()) {
    // Without a GPU, Dawn would only find a software adapter (and print its probing errors).
    return 'no GPU device node (/dev/dri/renderD*, /dev/nvidia*, /dev/dxg) found: request device "webgpu" explicitly to try it';
  }
  return true;
}

function hasGpuDeviceNode(): boolean {
  try {
    if (existsSync('/dev/nvidia0') || existsSync('/dev/dxg')) return true;
    return readdirSync('/dev/dri').some((name) => name.startsWith('renderD'));
  } catch {
    return false;
  }
}

export const nodePlatform: DevicePlatform = {
  name: 'node',
  autoOrder: ['cuda', 'webgpu', 'cpu'],
  probe: nodeDeviceProbe(),
  autoProbe: nodeAutoProbe,
};

export type NodeModelSource = string | URL | Readonly<Record<string, FileBytes>> | ModelSource;

export interface NodeLoadOptions extends LoadOptions, UrlLoadOptions {
  /** Another onnxruntime build (defaults to onnxruntime-node). */
  readonly ort?: OrtRuntime;
}

function toSource(source: NodeModelSource, options: NodeLoadOptions): ModelSource {
  if (typeof source === 'string') {
    return /^https?:\/\//i.test(source) ? urlSource(source, urlSourceOptions(options)) : folderSource(source);
  }
  if (source instanceof URL) {
    return source.protocol === 'file:'
      ? folderSource(fileURLToPath(source))
      : urlSource(source, urlSourceOptions(options));
  }
  if (typeof (source as ModelSource).read === 'function' && typeof (source as ModelSource).locate === 'function') {
    return source as ModelSource;
  }
  return bufferSource(source as Record<string, FileBytes>);
}

/**
 * Loads a model from a folder (or http(s) URL, or in-memory files) with onnxruntime-node.
 *
 * ```ts
 * const model = await loadModel('node_modules/@dynamojs/model-tiny/model', { device: 'auto' });
 * console.log(model.deviceReport.summary); // "cpu (auto; cuda: …; webgpu: …)"
 * ```
 *
 * From an http(s) URL, `onProgress`, `cache` (none by default: Node has no Cache API) and
 * `headers` apply as in the web entry.
 */
export async function loadModel(source: NodeModelSource, options: NodeLoadOptions = {}): Promise<OnnxModel> {
  const ort = options.ort ?? (ortNode as unknown as OrtRuntime);
  const platform = options.ort ? { ...nodePlatform, probe: nodeDeviceProbe(ort) } : nodePlatform;
  return loadWithContext({ ort, platform, source: toSource(source, options) }, options);
}
