/**
 * @dynamojs/cli — the `dynamo` command (Node). `runCli(argv)` runs it in-process.
 */
export { HELP, MAIN_HELP, runCli } from './cli.js';
export type { BenchReport, BenchRow } from './commands/bench.js';
export { BENCH_HELP, formatTable } from './commands/bench.js';
export { EVAL_HELP, evalCommand } from './commands/eval.js';
export { GENERATE_HELP } from './commands/generate.js';
export { NGRAMS_HELP } from './commands/ngrams.js';
export type { CliContext, CliIo } from './commands/shared.js';
export { statsLine } from './commands/shared.js';
export type { TransformersRunner } from './commands/transformers.js';
export { transformersRunner } from './commands/transformers.js';
export { decodingSettings, loadRequestFor, modelFor } from './decodingFlags.js';
export type { Loader, LoadRequest, ModelBundle, ModelFacts } from './loader.js';
export { defaultModelDir, inspectModelFolder, nodeLoader } from './loader.js';
export { CHROMIUM_FLAGS, findChromium, svgToPng } from './png.js';
export { DEFAULT_PROMPTS } from './prompts.js';
