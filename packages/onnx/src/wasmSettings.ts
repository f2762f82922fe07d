import type { OrtRuntime } from './runtime.js';

/**
 * Settings for onnxruntime-web's WebAssembly backend (`ort.env.wasm`).
 *
 * `ort.env.wasm` is the application's: the loader writes a setting there only while it is unset
 * (`undefined`), and keeps any value already there. onnxruntime-web reads these settings once, when
 * its wasm backend starts (the first session, wasm or webgpu), and fills in its own defaults then,
 * so they apply to the first model loaded in a page or process.
 */
export interface WasmSettings {
  /** Worker threads (1 = no workers; needs cross-origin isolation in browsers for > 1). */
  readonly numThreads?: number;
  /** Where the .wasm / .mjs files are served from (a CDN URL prefix or per-file map), for bundlers. */
  readonly wasmPaths?: string | Record<string, string>;
  /** Run the wasm backend in a web worker. */
  readonly proxy?: boolean;
}

const SETTINGS = ['numThreads', 'wasmPaths', 'proxy'] as const satisfies readonly (keyof WasmSettings)[];

/**
 * Fills in `ort.env.wasm` from `settings`: each setting given and still unset there. A value the
 * application (or onnxruntime-web, once started) set is never overwritten.
 */
export function applyWasmSettings(ort: OrtRuntime, settings: WasmSettings | undefined): void {
  const env = ort.env?.wasm as Record<string, unknown> | undefined;
  if (!settings || !env) return;
  for (const key of SETTINGS) {
    if (settings[key] !== undefined && env[key] === undefined) env[key] = settings[key];
  }
}
