/** Shared state of the live examples: loading the reference model once, with progress. */
import { reactive } from 'vue';
import type { DeviceChoice, Reference } from './runtime';

export type Runtime = typeof import('./runtime');

export interface LoaderState {
  phase: 'idle' | 'loading' | 'ready' | 'error';
  message: string;
  loaded: number;
  total: number;
  device: string;
  deviceSummary: string;
  webgpu: string;
  error: string;
}

export function createLoader() {
  const state = reactive<LoaderState>({
    phase: 'idle',
    message: 'The model loads when the page opens.',
    loaded: 0,
    total: 0,
    device: '',
    deviceSummary: '',
    webgpu: '',
    error: '',
  });
  let runtime: Runtime | undefined;

  async function getRuntime(): Promise<Runtime> {
    runtime ??= await import('./runtime');
    return runtime;
  }

  async function load(device: DeviceChoice): Promise<Reference | undefined> {
    state.error = '';
    state.phase = 'loading';
    state.message = 'Loading the runtime…';
    try {
      const rt = await getRuntime();
      const gpu = await rt.webgpuStatus();
      state.webgpu = gpu === true ? 'available' : gpu;
      if (device === 'webgpu' && gpu !== true) {
        throw new Error(`WebGPU was requested, but ${gpu}. Choose "auto" or "wasm" to run on WebAssembly.`);
      }
      const ref = await rt.loadReference(device, (p) => {
        state.loaded = p.loaded;
        state.total = p.total;
        const mb = (n: number) => (n / 1e6).toFixed(1);
        state.message =
          p.phase === 'Downloading the model' ? `${p.phase}: ${mb(p.loaded)} / ${mb(p.total)} MB` : `${p.phase}…`;
      });
      state.phase = 'ready';
      state.device = ref.device;
      state.deviceSummary = ref.deviceSummary;
      state.message = `Model ready on ${ref.device}.`;
      return ref;
    } catch (error) {
      const rt = runtime;
      state.phase = 'error';
      state.error = `The model could not be loaded. ${rt ? rt.describeError(error) : String(error)}`;
      state.message = 'Load failed.';
      return undefined;
    }
  }

  return { state, load, getRuntime };
}
