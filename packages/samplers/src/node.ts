/**
 * Node-only helpers of @dynamojs/samplers (entry "@dynamojs/samplers/node"): build co-occurrence
 * tables from text or JSONL files of any size with bounded memory, and load tables from disk.
 * The CLI's `dynamo ngrams build` is a thin wrapper over {@link buildTablesFromFiles}.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { DynamoError, DynamoErrorCode, type TextTokenizer } from '@dynamojs/core';
import type { CoOccurrenceTables } from './tables/coOccurrenceTables.js';
import { loadCoOccurrenceTables } from './tables/loadTables.js';
import {
  type NgramBuildProgress,
  NgramTableBuilder,
  type NgramTableBuilderOptions,
} from './tables/ngramTableBuilder.js';
import type { CoOccurrenceHeader } from './tables/tablesFormat.js';
import type { CoOccurrenceLoadOptions } from './tables/validateTables.js';

export interface FileBuildProgress extends NgramBuildProgress {
  /** The file being read. */
  readonly file: string;
  readonly fileIndex: number;
  readonly files: number;
  /** Bytes read over all files so far, and their total size (for a progress bar). */
  readonly bytesRead: number;
  readonly totalBytes: number;
}

export interface BuildTablesFromFilesOptions
  extends Omit<NgramTableBuilderOptions, 'vocabSize' | 'tokenizerHash' | 'onProgress'> {
  /** Any TextTokenizer (only vocabSize, hash and encode are used). */
  readonly tokenizer: Pick<TextTokenizer, 'vocabSize' | 'hash' | 'encode'>;
  /** Write the tables here (the bytes are returned either way). */
  readonly out?: string;
  /** 'auto' (default): files ending in .jsonl / .ndjson are JSONL, everything else text. */
  readonly format?: 'auto' | 'text' | 'jsonl';
  /** JSONL: the string field holding a document's text. Default 'text'. */
  readonly jsonlField?: string;
  /**
   * Text files: what a document is — 'file' (default: the whole file; n-grams never span two
   * files), 'paragraph' (blank lines separate documents) or 'line'.
   */
  readonly documents?: 'file' | 'paragraph' | 'line';
  /** JSONL lines that do not parse or lack the field: 'throw' (default, DYNAMO_IO) or 'skip'. */
  readonly onBadLine?: 'throw' | 'skip';
  readonly onProgress?: (progress: FileBuildProgress) => void;
  readonly signal?: AbortSignal;
}

export interface BuildTablesResult {
  readonly bytes: Uint8Array;
  readonly header: CoOccurrenceHeader;
  /** JSONL lines skipped (onBadLine 'skip'). */
  readonly skippedLines: number;
}

/**
 * Streams text or JSONL files line by line (memory bounded by the builder's `maxEntries`, not by
 * the corpus), tokenizes with `tokenizer.encode`, and builds the tables. Text is encoded one line
 * at a time (the newline kept with its line), so a document of any size never sits in memory.
 * Deterministic for the same files, order and options.
 */
export async function buildTablesFromFiles(
  files: readonly string[],
  options: BuildTablesFromFilesOptions,
): Promise<BuildTablesResult> {
  const { tokenizer } = options;
  const sizes = await Promise.all(
    files.map(async (f) => {
      try {
        return (await stat(f)).size;
      } catch (cause) {
        throw new DynamoError(DynamoErrorCode.IO, `Cannot read corpus file ${f}.`, { details: { file: f }, cause });
      }
    }),
  );
  const totalBytes = sizes.reduce((a, b) => a + b, 0);
  let bytesBefore = 0;
  let current = { file: '', fileIndex: 0, bytesRead: 0 };
  const builder = new NgramTableBuilder({
    ...options,
    vocabSize: tokenizer.vocabSize,
    tokenizerHash: tokenizer.hash,
    onProgress: options.onProgress
      ? (p) => options.onProgress?.({ ...p, ...current, files: files.length, totalBytes })
      : undefined,
  });
  const field = options.jsonlField ?? 'text';
  const mode = options.documents ?? 'file';
  let skippedLines = 0;
  for (let fi = 0; fi < files.length; fi++) {
    const file = files[fi] as string;
    const jsonl =
      options.format === 'jsonl' || ((options.format ?? 'auto') === 'auto' && /\.(jsonl|ndjson)$/i.test(file));
    const stream = createReadStream(file, { encoding: 'utf8' });
    const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
    current = { file, fileIndex: fi, bytesRead: bytesBefore };
    let lineNo = 0;
    let open = false;
    try {
      for await (const line of lines) {
        lineNo++;
        if (options.signal?.aborted) {
          throw new DynamoError(DynamoErrorCode.ABORTED, 'Building co-occurrence tables was aborted.', {
            cause: options.signal.reason,
          });
        }
        current.bytesRead = bytesBefore + stream.bytesRead;
        if (jsonl) {
          if (line.trim() === '') continue;
          let text: unknown;
          try {
            text = (JSON.parse(line) as Record<string, unknown>)[field];
          } catch {
            text = undefined;
          }
          if (typeof text !== 'string') {
            if (options.onBadLine === 'skip') {
              skippedLines++;
              continue;
            }
            throw new DynamoError(
              DynamoErrorCode.IO,
              `${file}:${lineNo}: not a JSON object with a string "${field}" field.`,
              { details: { file, line: lineNo, field } },
            );
          }
          builder.addDocument(tokenizer.encode(text));
          continue;
        }
        if (mode === 'line') {
          if (line.trim() !== '') builder.addDocument(tokenizer.encode(line));
          continue;
        }
        if (mode === 'paragraph' && line.trim() === '') {
          if (open) builder.endDocument();
          open = false;
          continue;
        }
        if (!open) {
          builder.beginDocument();
          open = true;
        }
        builder.addTokens(tokenizer.encode(`${line}\n`));
      }
    } finally {
      lines.close();
      stream.destroy();
    }
    if (open) builder.endDocument();
    bytesBefore += sizes[fi] as number;
  }
  const bytes = builder.finish();
  const tables = loadCoOccurrenceTables(bytes, { verifyChecksums: false });
  if (options.out !== undefined) {
    try {
      await writeFile(options.out, bytes);
    } catch (cause) {
      throw new DynamoError(DynamoErrorCode.IO, `Cannot write ${options.out}.`, {
        details: { file: options.out },
        cause,
      });
    }
  }
  return { bytes, header: tables.header, skippedLines };
}

/** Reads a table file from disk and loads it (validated; the views share the file's buffer). */
export async function loadCoOccurrenceTablesFile(
  path: string,
  options: CoOccurrenceLoadOptions = {},
): Promise<CoOccurrenceTables> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw new DynamoError(DynamoErrorCode.IO, `Cannot read co-occurrence tables ${path}.`, {
      details: { file: path },
      cause,
    });
  }
  return loadCoOccurrenceTables(bytes, options);
}
