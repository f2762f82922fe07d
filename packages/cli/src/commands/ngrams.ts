import { DynamoError, DynamoErrorCode, type TextTokenizer } from '@dynamojs/core';
import { int, oneOf, parse, str } from '../args.js';
import type { CliContext } from './shared.js';

export const NGRAMS_HELP = `Usage: dynamo ngrams build --tokenizer tokenizer.json --out tables.bin [options] corpus...

Counts the contiguous token pairs and triplets of text (or JSONL) files with a tokenizer and writes
the co-occurrence tables the DynaMo sampler's masking reads (@dynamojs/samplers format).

Options:
  --tokenizer FILE     tokenizer.json (required)
  --out FILE           output file (required)
  --order 2|3          pairs only, or pairs and triplets (default 3)
  --min-count N        drop n-grams seen fewer times (default 2)
  --documents file|paragraph|line   what one document is in a text file (default file); n-grams
                       never cross documents. Files ending in .jsonl/.ndjson: one document a line
  --jsonl-field NAME   the JSONL field holding the text (default text)
  -h, --help           this help
`;

const FLAGS = {
  tokenizer: { type: 'string' },
  out: { type: 'string' },
  order: { type: 'string' },
  'min-count': { type: 'string' },
  documents: { type: 'string' },
  'jsonl-field': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface BuildOptions {
  tokenizer: Pick<TextTokenizer, 'vocabSize' | 'hash' | 'encode'>;
  out?: string;
  order?: 2 | 3;
  minCount?: number;
  documents?: 'file' | 'paragraph' | 'line';
  jsonlField?: string;
  onProgress?: (p: { file: string; bytesRead: number; totalBytes: number; tokens: number }) => void;
}
type BuildFromFiles = (files: readonly string[], options: BuildOptions) => Promise<{ bytes: Uint8Array }>;

/** The samplers package's Node-side builder (streams files of any size with bounded memory). */
async function samplersBuilder(): Promise<BuildFromFiles | undefined> {
  try {
    const spec = '@dynamojs/samplers/node';
    const mod = (await import(/* @vite-ignore */ spec)) as { buildTablesFromFiles?: BuildFromFiles };
    return mod.buildTablesFromFiles;
  } catch {
    return undefined;
  }
}

/** Fallback when that entry is not available: whole files in memory through NgramTableBuilder. */
function inMemoryBuilder(ctx: CliContext): BuildFromFiles {
  return async (files, options) => {
    const samplers = await import('@dynamojs/samplers');
    const builder = new samplers.NgramTableBuilder({
      vocabSize: options.tokenizer.vocabSize,
      tokenizerHash: options.tokenizer.hash,
      ...(options.order !== undefined && { order: options.order }),
      ...(options.minCount !== undefined && { minCount: options.minCount }),
    });
    for (const file of files) {
      const text = await ctx.readText(file);
      const docs = /\.(jsonl|ndjson)$/i.test(file)
        ? text
            .split(/\r?\n/)
            .filter((l) => l.trim())
            .map((l) => String((JSON.parse(l) as Record<string, unknown>)[options.jsonlField ?? 'text'] ?? ''))
        : options.documents === 'line'
          ? text.split(/\r?\n/)
          : options.documents === 'paragraph'
            ? text.split(/\r?\n\s*\r?\n/)
            : [text];
      for (const doc of docs) if (doc.length > 0) builder.addDocument(options.tokenizer.encode(doc));
    }
    const bytes = builder.finish();
    if (options.out !== undefined) await ctx.writeFile(options.out, bytes);
    return { bytes };
  };
}

export async function ngramsCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    ctx.stdout.write(NGRAMS_HELP);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'build') {
    throw new DynamoError(
      DynamoErrorCode.INVALID_OPTION,
      `Unknown ngrams command "${sub}" (expected "build"). See --help.`,
      {
        details: { option: 'command', actual: sub },
      },
    );
  }
  const { values, positionals } = parse(rest, FLAGS);
  if (values.help) {
    ctx.stdout.write(NGRAMS_HELP);
    return 0;
  }
  const tokenizerPath = str(values, 'tokenizer');
  const out = str(values, 'out');
  if (tokenizerPath === undefined || out === undefined) {
    const flag = tokenizerPath === undefined ? 'tokenizer' : 'out';
    throw new DynamoError(DynamoErrorCode.INVALID_OPTION, `--${flag} is required. See --help.`, {
      details: { option: flag },
    });
  }
  if (positionals.length === 0) {
    throw new DynamoError(DynamoErrorCode.INVALID_OPTION, 'Give at least one corpus file. See --help.', {
      details: { option: 'corpus' },
    });
  }
  const order = Number(oneOf(values, 'order', ['2', '3']) ?? '3') as 2 | 3;
  const minCount = int(values, 'min-count', { min: 1 }) ?? 2;
  const documents = oneOf(values, 'documents', ['file', 'paragraph', 'line']) ?? 'file';
  const jsonlField = str(values, 'jsonl-field') ?? 'text';

  const { loadTokenizer } = await import('@dynamojs/tokenizer');
  const tokenizer = await loadTokenizer(tokenizerPath);
  const build = (await samplersBuilder()) ?? inMemoryBuilder(ctx);
  let last = 0;
  const { bytes } = await build(positionals, {
    tokenizer,
    out,
    order,
    minCount,
    documents,
    jsonlField,
    onProgress: (p) => {
      const now = Date.now();
      if (now - last < 200) return;
      last = now;
      const pct = p.totalBytes > 0 ? ((100 * p.bytesRead) / p.totalBytes).toFixed(0) : '?';
      ctx.stderr.write(`\r${p.file}: ${pct}% · ${p.tokens} tokens`.padEnd(70));
    },
  });
  ctx.stderr.write(
    `${`\rwrote ${out} (${bytes.byteLength} bytes, order ${order}, min count ${minCount})`.padEnd(70)}\n`,
  );
  return 0;
}
