import { readFile, writeFile } from 'node:fs/promises';
import { isDynamoError } from '@dynamojs/core';
import { BENCH_HELP, benchCommand } from './commands/bench.js';
import { EVAL_HELP, evalCommand } from './commands/eval.js';
import { GENERATE_HELP, generateCommand } from './commands/generate.js';
import { NGRAMS_HELP, ngramsCommand } from './commands/ngrams.js';
import type { CliContext } from './commands/shared.js';
import { nodeLoader } from './loader.js';

export const MAIN_HELP = `Usage: dynamo <command> [options]

DynaMo.js: multi-token text generation (NAACL 2024 "DynaMo") in JavaScript.

Commands:
  generate "prompt"   generate text (modes ar, dynamo, verified) and print statistics
  bench               compare the modes' tokens/s, tokens per pass and speed-up on a prompt set
  ngrams build        build co-occurrence tables for the DynaMo sampler from text files
  eval                quality vs speed-up report: eps_b sweep, ablations, perplexities, plots

Run \`dynamo <command> --help\` for a command's options.
`;

const COMMANDS: Record<string, (argv: readonly string[], ctx: CliContext) => Promise<number>> = {
  generate: generateCommand,
  bench: benchCommand,
  ngrams: ngramsCommand,
  eval: evalCommand,
};

export const HELP = {
  main: MAIN_HELP,
  generate: GENERATE_HELP,
  bench: BENCH_HELP,
  ngrams: NGRAMS_HELP,
  eval: EVAL_HELP,
};

/**
 * Runs the CLI with `argv` (without `node` and the script) and returns the exit code. Errors are
 * printed as one line — `error DYNAMO_CODE: message` — with exit code 1 (2 for usage errors).
 */
export async function runCli(argv: readonly string[], context: Partial<CliContext> = {}): Promise<number> {
  const ctx: CliContext = {
    stdout: context.stdout ?? process.stdout,
    stderr: context.stderr ?? process.stderr,
    loader: context.loader ?? nodeLoader,
    readText: context.readText ?? ((path) => readFile(path, 'utf8')),
    writeFile: context.writeFile ?? ((path, data) => writeFile(path, data)),
  };
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    ctx.stdout.write(MAIN_HELP);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-v') {
    ctx.stdout.write('dynamo 0.0.0\n');
    return 0;
  }
  const run = COMMANDS[command];
  if (run === undefined) {
    ctx.stderr.write(
      `error DYNAMO_INVALID_OPTION: unknown command "${command}" (expected generate, bench, ngrams or eval). See dynamo --help.\n`,
    );
    return 2;
  }
  try {
    return await run(rest, ctx);
  } catch (error) {
    if (isDynamoError(error)) {
      ctx.stderr.write(`error ${error.code}: ${error.message}\n`);
      return error.code === 'DYNAMO_INVALID_OPTION' ? 2 : 1;
    }
    const e = error as { code?: string; message?: string };
    ctx.stderr.write(`error ${e?.code ?? 'ERROR'}: ${e?.message ?? String(error)}\n`);
    return 1;
  }
}
