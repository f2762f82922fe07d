/**
 * Where downloaded model files are kept between page loads: the browser's Cache API
 * (`caches.open('dynamojs-models')`) by default, or any object with the same `match` / `put`.
 * A cache never fails a load: when it throws (quota, private mode, a broken entry) the file is
 * fetched from the network and the load goes on.
 */

/** The part of the Cache API (`Cache`) a URL source uses; a `Map` of `Response`s does for tests. */
export interface CacheLike {
  match(request: string): Promise<Response | undefined>;
  put(request: string, response: Response): Promise<void>;
}

/**
 * `true` (or left out): the Cache API's `dynamojs-models` cache where `globalThis.caches` exists,
 * else none; a string: the Cache API cache of that name; `false`: none; or a {@link CacheLike}.
 */
export type CacheOption = boolean | string | CacheLike;

/** The default cache name of the Cache API. */
export const DEFAULT_CACHE_NAME = 'dynamojs-models';

interface CacheStorageLike {
  open(name: string): Promise<CacheLike>;
}

/**
 * Opens the cache an option names, once (the promise is kept). `undefined` when there is none or
 * opening it failed (e.g. `caches` exists but the page is not a secure context).
 */
export function fileCache(option: CacheOption | undefined): () => Promise<CacheLike | undefined> {
  let opened: Promise<CacheLike | undefined> | undefined;
  return () => {
    opened ??= openCache(option);
    return opened;
  };
}

async function openCache(option: CacheOption | undefined): Promise<CacheLike | undefined> {
  if (option === false) return undefined;
  if (typeof option === 'object' && option !== null) return option;
  const storage = (globalThis as { caches?: CacheStorageLike }).caches;
  if (!storage || typeof storage.open !== 'function') return undefined;
  try {
    return await storage.open(typeof option === 'string' ? option : DEFAULT_CACHE_NAME);
  } catch {
    return undefined;
  }
}

/** The cached bytes of `url`, or `undefined` on a miss, a cache error or a cached entry of the wrong length. */
export async function cachedBytes(cache: CacheLike, url: string): Promise<Uint8Array | undefined> {
  try {
    const hit = await cache.match(url);
    if (!hit?.ok) return undefined;
    const bytes = new Uint8Array(await hit.arrayBuffer());
    const length = hit.headers.get('content-length');
    if (length !== null && Number(length) !== bytes.byteLength) return undefined;
    return bytes;
  } catch {
    return undefined;
  }
}

/** Stores a complete download; a cache that throws (quota, …) is passed over. */
export async function cacheBytes(cache: CacheLike, url: string, bytes: Uint8Array, type: string | null): Promise<void> {
  try {
    const headers: Record<string, string> = { 'content-length': String(bytes.byteLength) };
    if (type) headers['content-type'] = type;
    await cache.put(url, new Response(bytes as Uint8Array<ArrayBuffer>, { status: 200, headers }));
  } catch {
    // a full or unavailable cache only means the next load downloads again
  }
}
