import { DynamoError, DynamoErrorCode } from '@dynamojs/core';

/** The parts of @mlc-ai/web-xgrammar this package uses (its classes, as the library exports them). */
// biome-ignore lint/suspicious/noExplicitAny: the engine's own classes, typed by the library's .d.ts
export type XGrammar = typeof import('@mlc-ai/web-xgrammar') & Record<string, any>;

let loading: Promise<XGrammar> | undefined;
/** Lines the engine printed to stderr while `capture` is set (its error messages). */
let captured: string[] | undefined;

/**
 * Loads XGrammar (WebAssembly) once. The library ships one UMD file inside a `"type": "module"`
 * package: in Node it is compiled as the CommonJS module it is; in a browser bundle it is imported.
 * The engine writes its errors to `console.error` before it aborts, so the loader routes that
 * stream through a tap that {@link withEngineErrors} reads.
 */
export function loadXGrammar(): Promise<XGrammar> {
  loading ??= load().catch((error: unknown) => {
    loading = undefined;
    throw new DynamoError(
      DynamoErrorCode.UNSUPPORTED,
      `The grammar engine (@mlc-ai/web-xgrammar) could not be loaded: ${(error as Error)?.message ?? String(error)}`,
      { cause: error },
    );
  });
  return loading;
}

async function load(): Promise<XGrammar> {
  const existing = (globalThis as { xgrammar?: XGrammar }).xgrammar;
  let lib: XGrammar | undefined = existing?.GrammarCompiler !== undefined ? existing : undefined;
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (lib === undefined && typeof proc?.versions?.node === 'string') lib = await loadInNode();
  if (lib === undefined) {
    // a bundler resolves this one (its UMD file becomes a CommonJS-wrapped module there)
    const ns = (await import('@mlc-ai/web-xgrammar')) as XGrammar & { default?: XGrammar };
    lib =
      ns.GrammarCompiler !== undefined
        ? ns
        : ns.default?.GrammarCompiler !== undefined
          ? ns.default
          : (globalThis as { xgrammar?: XGrammar }).xgrammar;
  }
  if (lib?.GrammarCompiler === undefined) throw new Error('the module exports no GrammarCompiler');
  // The engine binds console.error when its WebAssembly module starts: start it behind the tap.
  const original = console.error;
  console.error = (...args: unknown[]) => {
    if (captured !== undefined) captured.push(args.map(String).join(' '));
    else original.apply(console, args);
  };
  try {
    const info = await lib.TokenizerInfo.createTokenizerInfo(['a', 'b'], 'raw');
    info.dispose();
  } finally {
    console.error = original;
  }
  return lib;
}

async function loadInNode(): Promise<XGrammar> {
  const moduleName = 'node:module';
  const fsName = 'node:fs';
  const pathName = 'node:path';
  const nodeModule = (await import(/* @vite-ignore */ moduleName)) as typeof import('node:module');
  const { readFileSync } = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs');
  const { dirname } = (await import(/* @vite-ignore */ pathName)) as typeof import('node:path');
  const base = typeof __filename === 'string' ? __filename : import.meta.url;
  const file = nodeModule.createRequire(base).resolve('@mlc-ai/web-xgrammar');
  const Module = nodeModule.Module as unknown as {
    new (
      id: string,
    ): { filename: string; paths: string[]; exports: XGrammar; _compile(code: string, file: string): void };
    _nodeModulePaths(dir: string): string[];
  };
  const m = new Module(file);
  m.filename = file;
  m.paths = Module._nodeModulePaths(dirname(file));
  m._compile(readFileSync(file, 'utf8'), file);
  return m.exports;
}

/**
 * Runs an engine call; a failure becomes a DynamoError of `code` whose message is the engine's own
 * (what it printed before aborting, without its source location), prefixed by `what`.
 */
export async function withEngineErrors<T>(
  what: string,
  code: (typeof DynamoErrorCode)[keyof typeof DynamoErrorCode],
  call: () => Promise<T> | T,
  details: Record<string, unknown> = {},
): Promise<T> {
  // one engine call at a time, so each failure reads its own lines
  const run = queue.then(async () => {
    const lines: string[] = [];
    captured = lines;
    try {
      return await call();
    } catch (error) {
      const message = engineMessage(lines, error);
      throw new DynamoError(code, `${what}: ${message}`, { cause: error, details: { ...details, engine: message } });
    } finally {
      captured = undefined;
    }
  });
  queue = run.then(
    () => undefined,
    () => undefined,
  );
  return run;
}

/** The tail of the engine calls in flight (see {@link withEngineErrors}). */
let queue: Promise<void> = Promise.resolve();

function engineMessage(lines: readonly string[], error: unknown): string {
  const fatal = lines
    .filter((l) => !/^Aborted\(/.test(l.trim()))
    .map((l) =>
      l
        .replace(/^\[FATAL\]\s*/, '')
        .replace(/^\S+\.(cc|h|cpp):\d+:\s*/, '')
        .replace(/^Check failed: \(.*?\) is false:\s*/, ''),
    )
    .join(' ')
    .trim();
  if (fatal.length > 0) return fatal;
  return (error as Error)?.message ?? String(error);
}
