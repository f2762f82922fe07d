import { folderSource } from '@dynamojs/onnx/node';
import { loadModel as loadWeb } from '@dynamojs/onnx/web';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import type { OrtRuntime } from '../src/runtime.js';
import { applyWasmSettings } from '../src/wasmSettings.js';
import { FIXTURE } from './helpers.js';

/** A runtime with only an `env.wasm` (applyWasmSettings reads nothing else). */
function runtimeWith(wasm: Record<string, unknown>): OrtRuntime {
  return { env: { wasm } } as unknown as OrtRuntime;
}

describe('wasm settings (ort.env.wasm)', () => {
  it('fills in the settings the application left unset', () => {
    const wasm: Record<string, unknown> = {};
    applyWasmSettings(runtimeWith(wasm), { numThreads: 2, wasmPaths: '/ort/', proxy: false });
    expect(wasm).toEqual({ numThreads: 2, wasmPaths: '/ort/', proxy: false });
  });

  it('keeps a value the application set, and sets only what it did not', () => {
    const wasm: Record<string, unknown> = { numThreads: 4, proxy: true };
    applyWasmSettings(runtimeWith(wasm), { numThreads: 1, wasmPaths: { wasm: '/a.wasm' }, proxy: false });
    expect(wasm).toEqual({ numThreads: 4, proxy: true, wasmPaths: { wasm: '/a.wasm' } });
  });

  it('writes nothing without settings, nor settings left undefined', () => {
    const wasm: Record<string, unknown> = { numThreads: 3 };
    applyWasmSettings(runtimeWith(wasm), undefined);
    applyWasmSettings(runtimeWith(wasm), { numThreads: undefined, proxy: undefined });
    expect(wasm).toEqual({ numThreads: 3 });
    expect(() => applyWasmSettings({} as OrtRuntime, { numThreads: 1 })).not.toThrow();
  });

  it("loadModel (web) does not overwrite the application's ort.env.wasm.numThreads", async () => {
    ort.env.wasm.numThreads = 1;
    const model = await loadWeb(folderSource(FIXTURE), { device: 'wasm', wasm: { numThreads: 2 } });
    try {
      expect(model.device).toBe('wasm');
      expect(ort.env.wasm.numThreads).toBe(1);
    } finally {
      await model.dispose();
    }
  });
});
