import { DynamoError, DynamoErrorCode } from '@dynamojs/core';
import type { RangeReader } from './rangeReader.js';

/**
 * A RangeReader over HTTP(S) with `Range` requests. `size` comes from a HEAD request's
 * Content-Length. A server that ignores ranges (answers 200 with the whole file) still works: the
 * body is kept and every later read is served from it. Browser- and Node-safe (global fetch).
 * Failures (network, HTTP errors, no Content-Length) are DYNAMO_IO.
 */
export async function fetchRangeReader(url: string, init: { fetch?: typeof fetch } = {}): Promise<RangeReader> {
  const doFetch = init.fetch ?? globalThis.fetch;
  const ioError = (message: string, cause?: unknown): DynamoError =>
    new DynamoError(DynamoErrorCode.IO, message, { details: { file: url }, cause });
  let size: number;
  try {
    const head = await doFetch(url, { method: 'HEAD' });
    size = Number(head.headers.get('content-length'));
    if (!head.ok || !Number.isSafeInteger(size)) throw new Error(`HTTP ${head.status}, no Content-Length`);
  } catch (cause) {
    throw ioError(`Cannot read co-occurrence tables from ${url}.`, cause);
  }
  let whole: Uint8Array | undefined;
  return {
    size,
    read: async (offset, length) => {
      if (whole !== undefined) return whole.subarray(offset, offset + length);
      let response: Response;
      try {
        response = await doFetch(url, { headers: { Range: `bytes=${offset}-${offset + length - 1}` } });
      } catch (cause) {
        throw ioError(`Range request to ${url} failed.`, cause);
      }
      if (response.status === 200) {
        // Ranges not supported: keep the whole file.
        whole = new Uint8Array(await response.arrayBuffer());
        return whole.subarray(offset, offset + length);
      }
      if (response.status !== 206) throw ioError(`Range request to ${url} answered HTTP ${response.status}.`);
      return new Uint8Array(await response.arrayBuffer());
    },
  };
}
