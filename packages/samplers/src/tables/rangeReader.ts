/** Reads byte ranges of a table file: a file handle, an HTTP server with range requests, ... */
export interface RangeReader {
  /** Total size in bytes. */
  readonly size: number;
  /** Bytes [offset, offset + length). */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** A RangeReader over an in-memory file (tests, or a file already fetched whole). */
export function bufferRangeReader(bytes: Uint8Array): RangeReader {
  return {
    size: bytes.byteLength,
    read: async (offset, length) => bytes.subarray(offset, Math.min(offset + length, bytes.byteLength)),
  };
}
