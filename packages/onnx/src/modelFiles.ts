import { DynamoError, DynamoErrorCode, type ManifestFile } from '@dynamojs/core';
import { type ModelSource, sha256Hex } from './source.js';

const decoder = new TextDecoder();

/** A file's bytes as UTF-8 text. */
export function decodeText(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** DYNAMO_MODEL_LOAD, naming the file when there is one. */
export function loadError(message: string, file?: string, cause?: unknown): DynamoError {
  return new DynamoError(DynamoErrorCode.MODEL_LOAD, message, {
    ...(file !== undefined && { details: { file } }),
    ...(cause !== undefined && { cause }),
  });
}

/** A file the model needs: DYNAMO_MODEL_LOAD when the source does not have it (`why` says what it is). */
export async function readRequired(source: ModelSource, path: string, why: string): Promise<Uint8Array> {
  const bytes = await source.read(path);
  if (!bytes) throw loadError(`Missing file ${source.locate(path)} (${why}).`, source.locate(path));
  return bytes;
}

/** Checks a file against its manifest entry: its size when recorded, and its sha256 when `verify`. */
export async function checkFile(
  source: ModelSource,
  entry: ManifestFile,
  bytes: Uint8Array,
  verify: boolean,
): Promise<void> {
  const file = source.locate(entry.path);
  if (entry.bytes !== undefined && entry.bytes > 0 && bytes.byteLength !== entry.bytes) {
    throw new DynamoError(
      DynamoErrorCode.MODEL_FORMAT,
      `${file} is ${bytes.byteLength} bytes but dynamo.json says ${entry.bytes}` +
        (bytes.byteLength < entry.bytes ? ' (truncated download?).' : ' (wrong file?).'),
      { details: { file, expected: entry.bytes, actual: bytes.byteLength } },
    );
  }
  if (verify && entry.sha256 !== undefined) {
    const actual = await sha256Hex(bytes);
    if (actual !== entry.sha256) {
      throw new DynamoError(
        DynamoErrorCode.CHECKSUM_MISMATCH,
        `${file}: sha256 ${actual} differs from dynamo.json's ${entry.sha256}.`,
        { details: { file, expected: entry.sha256, actual } },
      );
    }
  }
}

/** Parses a JSON file; `code` (with "not valid JSON.") when it is not JSON. */
export function parseJsonFile(bytes: Uint8Array, file: string, code: DynamoErrorCode): unknown {
  try {
    return JSON.parse(decodeText(bytes));
  } catch (cause) {
    throw new DynamoError(code, `${file}: not valid JSON.`, { details: { file }, cause });
  }
}
