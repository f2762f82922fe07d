import { DynamoError, DynamoErrorCode, throwIfAborted } from '@dynamojs/core';
import { type DownloadProgress, type ProgressCallback, progressEvent } from './downloadProgress.js';
import { type CacheOption, cacheBytes, cachedBytes, fileCache } from './fileCache.js';
import type { ModelSource } from './source.js';

/** What a load from a base URL may add: progress, the cache, request headers. */
export interface UrlLoadOptions {
  /** Called as each file downloads (or comes from the cache); see {@link DownloadProgress}. */
  readonly onProgress?: ProgressCallback;
  /**
   * Where downloaded files are kept: the Cache API's `dynamojs-models` cache by default where
   * `globalThis.caches` exists (browsers; not Node), a cache name, any {@link CacheLike}, or `false`.
   */
  readonly cache?: CacheOption;
  /** Extra request headers (e.g. `{ Authorization: 'Bearer hf_…' }` for a gated repository). */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface UrlSourceOptions extends UrlLoadOptions {
  /** The `fetch` to use (default `globalThis.fetch`). */
  readonly fetch?: typeof fetch;
  /** Aborts a download in progress: DYNAMO_ABORTED. */
  readonly signal?: AbortSignal;
}

/**
 * Files under a base URL, read with `fetch` (browser, or Node ≥ 18), e.g. a Hugging Face
 * repository's `https://huggingface.co/<repo>/resolve/main/`. Bodies are streamed and counted
 * (`onProgress`); a complete download (as long as its Content-Length says) goes into the cache,
 * and the next load reads it from there. A body shorter than its Content-Length, or one that
 * breaks off, is DYNAMO_IO naming the URL with the expected and received byte counts, and is
 * not cached. 404 means the file is absent; other HTTP errors are DYNAMO_IO.
 *
 * `urlSource(base, fetchImpl)` (a `fetch` as second argument) still works.
 */
export function urlSource(base: string | URL, options: UrlSourceOptions | typeof fetch = {}): ModelSource {
  const o: UrlSourceOptions = typeof options === 'function' ? { fetch: options } : options;
  const root = new URL(String(base).endsWith('/') ? String(base) : `${String(base)}/`);
  const openCache = fileCache(o.cache);
  const report = (event: DownloadProgress) => o.onProgress?.(event);
  return {
    description: root.href,
    kind: 'url',
    locate: (path) => new URL(path, root).href,
    async read(path) {
      const url = new URL(path, root).href;
      const { signal } = o;
      throwIfAborted(signal, `download of ${url}`);
      const cache = await openCache();
      if (cache) {
        const hit = await cachedBytes(cache, url);
        if (hit) {
          const n = hit.byteLength;
          report(progressEvent('initiate', path, url, 0, n, true));
          report(progressEvent('progress', path, url, n, n, true));
          report(progressEvent('done', path, url, n, n, true));
          return hit;
        }
      }
      const fetchImpl = o.fetch ?? globalThis.fetch;
      let response: Response;
      try {
        response = await fetchImpl(url, {
          ...(signal && { signal }),
          ...(o.headers && { headers: { ...o.headers } }),
        });
      } catch (cause) {
        throwIfAborted(signal, `download of ${url}`);
        throw new DynamoError(DynamoErrorCode.IO, `Could not fetch ${url}: ${(cause as Error).message}`, {
          details: { file: url },
          cause,
        });
      }
      if (response.status === 404) {
        await discard(response);
        return undefined;
      }
      if (!response.ok) {
        await discard(response);
        throw new DynamoError(DynamoErrorCode.IO, `Could not fetch ${url}: HTTP ${response.status}`, {
          details: { file: url, actual: response.status },
        });
      }
      const expected = contentLength(response);
      report(progressEvent('initiate', path, url, 0, expected, false));
      const bytes = await readBody(response, url, expected, signal, (loaded) =>
        report(progressEvent('progress', path, url, loaded, expected, false)),
      );
      if (expected !== undefined && bytes.byteLength < expected) {
        throw truncated(url, expected, bytes.byteLength);
      }
      report(progressEvent('done', path, url, bytes.byteLength, bytes.byteLength, false));
      if (cache) await cacheBytes(cache, url, bytes, response.headers.get('content-type'));
      return bytes;
    },
  };
}

/** The URL-source options of a load's options (the entries' `loadModel` with a URL). */
export function urlSourceOptions(options: UrlLoadOptions & { readonly signal?: AbortSignal }): UrlSourceOptions {
  return {
    ...(options.onProgress && { onProgress: options.onProgress }),
    ...(options.cache !== undefined && { cache: options.cache }),
    ...(options.headers && { headers: options.headers }),
    ...(options.signal && { signal: options.signal }),
  };
}

/** Content-Length, when it is the body's size (no Content-Encoding, which fetch decodes). */
function contentLength(response: Response): number | undefined {
  const encoding = response.headers.get('content-encoding');
  if (encoding && encoding.toLowerCase() !== 'identity') return undefined;
  const header = response.headers.get('content-length');
  if (header === null || !/^\d+$/.test(header.trim())) return undefined;
  const n = Number(header);
  return Number.isSafeInteger(n) ? n : undefined;
}

async function discard(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // nothing to free
  }
}

function truncated(url: string, expected: number, actual: number, cause?: unknown): DynamoError {
  const why = cause === undefined ? '' : `: ${describe(cause)}`;
  return new DynamoError(
    DynamoErrorCode.IO,
    `Download of ${url} broke off after ${actual} of ${expected} bytes (truncated${why}); nothing was cached.`,
    { details: { file: url, expected, actual }, ...(cause !== undefined && { cause }) },
  );
}

function describe(error: unknown): string {
  const e = error as { message?: unknown; cause?: { message?: unknown } };
  const inner = typeof e?.cause?.message === 'string' ? ` (${e.cause.message})` : '';
  return `${typeof e?.message === 'string' ? e.message : String(error)}${inner}`;
}

/** Streams the body, counting bytes (`arrayBuffer()` where there is no body stream). */
async function readBody(
  response: Response,
  url: string,
  expected: number | undefined,
  signal: AbortSignal | undefined,
  onBytes: (loaded: number) => void,
): Promise<Uint8Array> {
  const fail = (cause: unknown, loaded: number): DynamoError => {
    throwIfAborted(signal, `download of ${url}`);
    if (expected !== undefined) return truncated(url, expected, loaded, cause);
    return new DynamoError(
      DynamoErrorCode.IO,
      `Download of ${url} broke off after ${loaded} bytes: ${describe(cause)}; nothing was cached.`,
      { details: { file: url, actual: loaded }, cause },
    );
  };
  const reader = response.body?.getReader();
  if (!reader) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch (cause) {
      throw fail(cause, 0);
    }
    onBytes(bytes.byteLength);
    return bytes;
  }
  // one buffer of the announced size (no copy at the end); chunks when the size is unknown or wrong
  let buffer: Uint8Array | undefined = expected === undefined ? undefined : new Uint8Array(expected);
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (cause) {
      throw fail(cause, loaded);
    }
    if (chunk.done) break;
    const value = chunk.value;
    if (buffer && loaded + value.byteLength <= buffer.byteLength) {
      buffer.set(value, loaded);
    } else {
      if (buffer) {
        chunks.push(buffer.subarray(0, loaded));
        buffer = undefined;
      }
      chunks.push(value);
    }
    loaded += value.byteLength;
    if (signal?.aborted) {
      await reader.cancel().catch(() => {});
      throwIfAborted(signal, `download of ${url}`);
    }
    onBytes(loaded);
  }
  if (buffer) return loaded === buffer.byteLength ? buffer : buffer.subarray(0, loaded);
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
