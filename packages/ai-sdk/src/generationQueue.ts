import { abortError } from './results.js';

interface Waiter {
  grant(): void;
  onAbort?: () => void;
}

/**
 * How many generations run at once on one loaded model, and the line of the others. Concurrent
 * requests share the model's session (one set of weights in memory; each generation has its own KV
 * cache), at most `limit` at a time; the rest wait first-come first-served. A request aborted while it
 * waits leaves the line at once (its call fails with the abort, nothing ran); a slot is handed to
 * the next in line when a generation ends, however it ends.
 */
export class GenerationQueue {
  readonly limit: number;
  #running = 0;
  readonly #waiting: Waiter[] = [];

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Generations running now. */
  get running(): number {
    return this.#running;
  }

  /** Requests waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Waits for a slot; resolves with its release (idempotent). Rejects with the abort when `signal` fires first. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.#running < this.limit) {
      this.#running++;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      const entry: Waiter = {
        grant: () => {
          if (entry.onAbort) signal?.removeEventListener('abort', entry.onAbort);
          this.#running++;
          resolve(this.#releaser());
        },
      };
      if (signal) {
        entry.onAbort = () => {
          const at = this.#waiting.indexOf(entry);
          if (at >= 0) this.#waiting.splice(at, 1);
          reject(abortError(signal));
        };
        signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      this.#waiting.push(entry);
    });
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#running--;
      this.#waiting.shift()?.grant();
    };
  }
}

/** The default limit for a model on `device`: 4 on the CPU and CUDA, 1 on WebGPU and WASM. */
export function defaultConcurrency(device: string | undefined): number {
  return device === 'webgpu' || device === 'wasm' ? 1 : 4;
}

const queues = new WeakMap<object, GenerationQueue>();

/** The queue of one loaded model (made on first use with `limit`, or the device's default). */
export function queueFor(model: object & { metadata: { device?: string } }, limit?: number): GenerationQueue {
  let queue = queues.get(model);
  if (queue === undefined) {
    queue = new GenerationQueue(limit ?? defaultConcurrency(model.metadata.device));
    queues.set(model, queue);
  }
  return queue;
}
