import type { ModelManifest } from '@dynamojs/core';
import type { DeviceName } from './devices.js';
import type { ExternalDataFile } from './externalData.js';
import type { LoadOptions } from './loadOptions.js';
import type { SessionOptions } from './runtime.js';

/** The device's execution provider, with `options.providerOptions` for it when given. */
function executionProvider(device: DeviceName, options: LoadOptions): SessionOptions['executionProviders'] {
  const extra = options.providerOptions?.[device];
  return [extra ? ({ name: device, ...extra } as never) : device];
}

/** Session options for a graph on `device`: the caller's `sessionOptions`, the provider, its external data. */
export function graphSessionOptions(
  device: DeviceName,
  options: LoadOptions,
  externalData: ExternalDataFile[],
): SessionOptions {
  return {
    ...options.sessionOptions,
    executionProviders: executionProvider(device, options),
    ...(externalData.length > 0 && { externalData }),
  };
}

/** WebGPU output placement for the model: logits to the CPU, the KV cache (`present.*`) kept in GPU buffers. */
export function cacheOnDeviceLocations(manifest: ModelManifest): Record<string, 'gpu-buffer' | 'cpu'> {
  const where: Record<string, 'gpu-buffer' | 'cpu'> = { logits: 'cpu' };
  if (manifest.heads > 1) where.head_logits = 'cpu';
  for (let i = 0; i < manifest.io.cacheLayers; i++) {
    where[`present.${i}.key`] = 'gpu-buffer';
    where[`present.${i}.value`] = 'gpu-buffer';
  }
  return where;
}

/** Session options for the cache's WebGPU helper graphs (trim, compact): outputs stay in GPU buffers. */
export function gpuBufferSessionOptions(options: LoadOptions): SessionOptions {
  return { executionProviders: executionProvider('webgpu', options), preferredOutputLocation: 'gpu-buffer' };
}
