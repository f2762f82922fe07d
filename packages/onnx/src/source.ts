import { DynamoError, DynamoErrorCode } from '@dynamojs/core';

/**
 * Where a model's files come from: a folder (Node), a base URL (fetch) or in-memory buffers.
 * Paths are the manifest's relative paths ("model.onnx", "base/onnx/model.onnx").
 */
export interface ModelSource {
  /** For messages: "/models/tiny", "https://…/tiny/", "buffers". */
  readonly description: string;
  readonly kind: 'folder' | 'url' | 'buffers' | 'custom';
  /** The file's bytes, or `undefined` when it does not exist. Other failures throw. */
  read(path: string): Promise<Uint8Array | undefined>;
  /** Full name of a file for messages. */
  locate(path: string): string;
}

export type FileBytes = Uint8Array | ArrayBuffer | string;

/** In-memory files by relative path (`{ 'dynamo.json': text, 'model.onnx': bytes, … }`). */
export function bufferSource(files: Readonly<Record<string, FileBytes>>): ModelSource {
  const encoder = new TextEncoder();
  return {
    description: 'buffers',
    kind: 'buffers',
    locate: (path) => path,
    async read(path) {
      const f = files[path];
      if (f === undefined) return undefined;
      if (typeof f === 'string') return encoder.encode(f);
      return f instanceof Uint8Array ? f : new Uint8Array(f);
    },
  };
}

export { urlSource } from './urlSource.js';

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) {
    throw new DynamoError(
      DynamoErrorCode.INVALID_OPTION,
      'Option "verifyChecksums" needs WebCrypto (crypto.subtle), which is unavailable here (an insecure http: page?).',
      { details: { option: 'verifyChecksums' } },
    );
  }
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}
