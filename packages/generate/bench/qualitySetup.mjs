// Shared setup of the quality benches (lossyAblation, surprisalGap): their flags, the reference
// model (multi-head and base-only graphs, 1 thread), its tables and the eval prompts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_EVAL_PROMPTS, parsePrompts } from '@dynamojs/eval';
import { loadModel } from '@dynamojs/onnx/node';
import * as S from '@dynamojs/samplers';
import { loadTokenizer } from '@dynamojs/tokenizer';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Parses --model --seeds --tokens --prompts --out and loads what the bench runs on. */
export async function qualitySetup() {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: join(here, '../../model-tiny/model') },
      seeds: { type: 'string', default: '1,2,3' },
      tokens: { type: 'string', default: '128' },
      prompts: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const dir = values.model;
  const sessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };
  const tokenizer = await loadTokenizer(join(dir, 'tokenizer.json'));
  const multi = await loadModel(dir, { device: 'cpu', tokenizer, sessionOptions });
  const base = await loadModel(dir, { device: 'cpu', tokenizer, sessionOptions, baseOnly: true });
  const tables = S.loadCoOccurrenceTables(readFileSync(join(dir, 'ngrams.bin')), {
    vocabSize: multi.metadata.vocabSize,
  });
  return {
    dir,
    out: values.out,
    seeds: values.seeds.split(',').map(Number),
    maxNewTokens: Number(values.tokens),
    tokenizer,
    multi,
    base,
    tables,
    // --prompts FILE (e.g. the paper's development prompts) first, then the eval's built-in prompts.
    prompts: [...(values.prompts ? parsePrompts(readFileSync(values.prompts, 'utf8')) : []), ...DEFAULT_EVAL_PROMPTS],
    // The calibrated preset with the values the model recommends for it (its manifest's
    // `decoding`: e.g. the self-distilled heads' own temperature), as `dynamo generate` runs it.
    recommended: S.recommendedDynamoOptions(multi.metadata.decoding, 'calibrated'),
  };
}
