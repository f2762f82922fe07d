import { DynamoError, DynamoErrorCode } from '@dynamojs/core';
import { DynamoTokenizer, type TokenizerOptions } from './dynamoTokenizer.js';
import { formatError } from './tokenizerJson.js';

/**
 * Where a tokenizer.json comes from:
 * - a parsed object;
 * - a string: JSON text when it starts with `{`, a URL when it starts with a scheme
 *   (`https://`, `http://`, `file://`, `data:`, `blob:`), otherwise a file path (read with
 *   `node:fs` in Node, fetched relative to the page elsewhere);
 * - a `URL`;
 * - the file's bytes (`Uint8Array` / `ArrayBuffer`).
 */
export type TokenizerSource = string | URL | Uint8Array | ArrayBuffer | Readonly<Record<string, unknown>>;

export interface LoadTokenizerOptions extends TokenizerOptions {
  /** The fetch to use for URLs (default: globalThis.fetch). */
  readonly fetch?: typeof fetch;
  /** Aborts a fetch or file read. */
  readonly signal?: AbortSignal;
}

const URL_LIKE = /^(?:[a-z][a-z0-9+.-]*:\/\/|data:|blob:)/i;

/**
 * Builds a tokenizer from a tokenizer.json that is already in memory: a parsed object or its JSON
 * text. Synchronous. Malformed or unsupported input throws DYNAMO_TOKENIZER_FORMAT.
 */
export function createTokenizer(
  json: Readonly<Record<string, unknown>> | string,
  options: TokenizerOptions = {},
): DynamoTokenizer {
  const name = options.name ?? (typeof json === 'string' ? 'tokenizer.json (text)' : 'tokenizer.json (object)');
  const parsed = typeof json === 'string' ? parseJson(json, name) : json;
  return new DynamoTokenizer(parsed, { ...options, name });
}

/**
 * Loads a tokenizer.json from a path (Node), a URL (fetch), JSON text, bytes or a parsed object.
 * From a path, tokenizer_config.json and chat_template.jinja next to it are read too when present
 * (special tokens and the chat template), unless `tokenizerConfig` or `chatTemplate` is given.
 * A missing file or failed request throws DYNAMO_IO; malformed JSON or an unsupported tokenizer
 * throws DYNAMO_TOKENIZER_FORMAT; both name the file or URL.
 */
export async function loadTokenizer(
  source: TokenizerSource,
  options: LoadTokenizerOptions = {},
): Promise<DynamoTokenizer> {
  if (typeof source === 'string') {
    if (source.trimStart().startsWith('{')) return createTokenizer(source, options);
    if (URL_LIKE.test(source)) return fromUrl(new URL(source), options);
    return isNode() ? fromFile(source, options) : fromUrl(source, options);
  }
  if (source instanceof URL) return fromUrl(source, options);
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) {
    const name = options.name ?? 'tokenizer.json (bytes)';
    return createTokenizer(decodeUtf8(source, name), { ...options, name });
  }
  if (typeof source === 'object' && source !== null) return createTokenizer(source, options);
  throw new DynamoError(
    DynamoErrorCode.INVALID_OPTION,
    `loadTokenizer() needs a path, URL, JSON text, bytes or a parsed tokenizer.json, got ${source === null ? 'null' : typeof source}.`,
    { details: { option: 'source', actual: source === null ? 'null' : typeof source } },
  );
}

function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof proc?.versions?.node === 'string';
}

interface NodeFs {
  readFile(path: string | URL, options: { encoding: 'utf8'; signal?: AbortSignal }): Promise<string>;
}

/** `node:fs/promises`, loaded only when a path is given, invisibly to browser bundlers. */
async function nodeFs(): Promise<NodeFs> {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  if (typeof proc?.getBuiltinModule === 'function') return proc.getBuiltinModule('node:fs/promises') as NodeFs;
  const specifier = 'node:fs/promises';
  return (await import(/* webpackIgnore: true */ /* @vite-ignore */ specifier)) as NodeFs;
}

async function fromFile(path: string | URL, options: LoadTokenizerOptions): Promise<DynamoTokenizer> {
  const name = options.name ?? String(path instanceof URL ? decodeURIComponent(path.pathname) : path);
  let text: string;
  try {
    const fs = await nodeFs();
    text = await fs.readFile(
      path,
      options.signal ? { encoding: 'utf8', signal: options.signal } : { encoding: 'utf8' },
    );
  } catch (cause) {
    if (options.signal?.aborted) {
      throw new DynamoError(DynamoErrorCode.ABORTED, `Reading ${name} was aborted.`, {
        details: { file: name },
        cause,
      });
    }
    const code = (cause as { code?: unknown })?.code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : cause instanceof Error
              ? cause.message
              : String(cause);
    throw new DynamoError(DynamoErrorCode.IO, `Cannot read tokenizer file ${name}: ${why}.`, {
      details: { file: name, ...(typeof code === 'string' ? { errno: code } : {}) },
      cause,
    });
  }
  return createTokenizer(text, { ...options, ...(await companionFiles(path, options)), name });
}

/**
 * tokenizer_config.json (special tokens, chat_template) and chat_template.jinja (which wins, as in
 * Python transformers) next to a tokenizer.json file, when present and not given in `options`.
 */
async function companionFiles(path: string | URL, options: LoadTokenizerOptions): Promise<TokenizerOptions> {
  if (options.tokenizerConfig !== undefined || options.chatTemplate !== undefined) return {};
  const fs = await nodeFs();
  const sibling = (file: string): string | URL =>
    path instanceof URL ? new URL(file, path) : path.replace(/[^/\\]*$/, file);
  const read = async (file: string): Promise<string | undefined> => {
    try {
      return await fs.readFile(sibling(file), { encoding: 'utf8' });
    } catch {
      return undefined; // absent (or unreadable): the tokenizer works without it
    }
  };
  const [config, jinja] = await Promise.all([read('tokenizer_config.json'), read('chat_template.jinja')]);
  const configPath = sibling('tokenizer_config.json');
  const configName = configPath instanceof URL ? decodeURIComponent(configPath.pathname) : configPath;
  const tokenizerConfig = config === undefined ? undefined : parseJson(config, configName);
  if (tokenizerConfig !== undefined && (typeof tokenizerConfig !== 'object' || tokenizerConfig === null)) {
    formatError(configName, '', 'is not a JSON object.');
  }
  return {
    ...(tokenizerConfig !== undefined && { tokenizerConfig: tokenizerConfig as Record<string, unknown> }),
    ...(jinja !== undefined && { chatTemplate: jinja }),
  };
}

async function fromUrl(url: URL | string, options: LoadTokenizerOptions): Promise<DynamoTokenizer> {
  const href = url instanceof URL ? url.href : url;
  if (url instanceof URL && url.protocol === 'file:') {
    if (isNode()) return fromFile(url, { ...options, name: options.name ?? href });
  }
  const name = options.name ?? href;
  const doFetch = options.fetch ?? globalThis.fetch;
  if (typeof doFetch !== 'function') {
    throw new DynamoError(DynamoErrorCode.IO, `Cannot fetch ${name}: no fetch() in this environment.`, {
      details: { file: name },
    });
  }
  let text: string;
  try {
    const response = await doFetch(href, options.signal ? { signal: options.signal } : undefined);
    if (!response.ok) {
      throw new DynamoError(
        DynamoErrorCode.IO,
        `Cannot fetch tokenizer ${name}: HTTP ${response.status} ${response.statusText}.`.replace(' .', '.'),
        {
          details: { file: name, status: response.status },
        },
      );
    }
    text = await response.text();
  } catch (cause) {
    if (cause instanceof DynamoError) throw cause;
    if (options.signal?.aborted) {
      throw new DynamoError(DynamoErrorCode.ABORTED, `Fetching ${name} was aborted.`, {
        details: { file: name },
        cause,
      });
    }
    throw new DynamoError(
      DynamoErrorCode.IO,
      `Cannot fetch tokenizer ${name}: ${cause instanceof Error ? cause.message : String(cause)}.`,
      { details: { file: name }, cause },
    );
  }
  return createTokenizer(text, { ...options, name });
}

function parseJson(text: string, name: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    formatError(name, '', `is not valid JSON (${cause instanceof Error ? cause.message : String(cause)}).`, cause);
  }
}

function decodeUtf8(bytes: Uint8Array | ArrayBuffer, name: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    formatError(name, '', 'is not valid UTF-8 text.', cause);
  }
}
