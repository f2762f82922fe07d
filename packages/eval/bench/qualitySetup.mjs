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
  // the base-only graph, with the model's draft head when it ships one (DynaMo's chain sampler)
  const draftHead = JSON.parse(readFileSync(join(dir, 'dynamo.json'), 'utf8')).files.some(
    (f) => f.role === 'draft-head',
  );
  const base = await loadModel(dir, { device: 'cpu', tokenizer, sessionOptions, baseOnly: true, draftHead });
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

/** ar's sampling settings in every quality bench: repetition penalty 1.1, temperature 0.7, top-50. */
export const AR = { temperature: 0.7, topK: 50, repetitionPenalty: 1.1 };

/**
 * Teacher-forces `tokens` after `promptIds` through the base-only graph in one pass and calls
 * `visit(raw, penalized, t, ids)` for every continuation position t: the base head's raw logits
 * predicting ids[t], and a copy with ar's repetition penalty applied over the history ids[0..t).
 * Returns the visits' results.
 */
export async function perPosition(base, promptIds, tokens, visit) {
  const ids = Int32Array.from([...promptIds, ...tokens]);
  const cache = base.createCache();
  const penalty = S.repetitionPenalty(AR.repetitionPenalty);
  try {
    const r = await base.forward(ids, cache, { positions: 'all', headPositions: 'none' });
    const out = [];
    for (let t = promptIds.length; t < ids.length; t++) {
      const raw = r.logits(0, t - 1);
      const penalized = Float32Array.from(raw);
      penalty.process(penalized, { head: 0, history: ids.subarray(0, t) });
      out.push(visit(raw, penalized, t, ids));
    }
    return out;
  } finally {
    cache.dispose();
  }
}
