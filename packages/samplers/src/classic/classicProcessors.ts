import { checkInteger, checkNumber, DynamoError, DynamoErrorCode, type LogitsProcessor } from '@dynamojs/core';
import { minP } from './minP.js';
import { noRepeatNgram } from './noRepeatNgram.js';
import { type ProcessorPipeline, pipeline } from './processorPipeline.js';
import { repetitionPenalty } from './repetitionPenalty.js';
import { temperature } from './temperature.js';
import { topK } from './topK.js';
import { topP } from './topP.js';
import { typicalP } from './typicalP.js';

/**
 * The classic decoding options, validated with core's checkers (DYNAMO_INVALID_OPTION naming the
 * option). Every stage is off by default.
 */
export interface ClassicProcessorOptions {
  /** > 0; default 1 (off). For temperature 0 use `greedy()`. */
  readonly temperature?: number;
  /** Integer ≥ 1; default off. */
  readonly topK?: number;
  /** In (0, 1]; default 1 (off). */
  readonly topP?: number;
  /** In [0, 1]; default 0 (off). */
  readonly minP?: number;
  /** In (0, 1]; default 1 (off). */
  readonly typicalP?: number;
  /** > 0; default 1 (off). CTRL-style, as transformers.js. */
  readonly repetitionPenalty?: number;
  /** Integer ≥ 0; default 0 (off). */
  readonly noRepeatNgramSize?: number;
  /** Extra processors, run before the built-in stages. */
  readonly processors?: readonly LogitsProcessor[];
}

/**
 * The processor pipeline for a set of classic options, in transformers' order: custom processors,
 * repetition penalty, no-repeat-n-gram, then the warpers temperature → top-k → top-p → min-p →
 * typical-p. Stages that are off are left out of the pipeline.
 */
export function classicProcessors(options: ClassicProcessorOptions = {}): ProcessorPipeline {
  const o = options;
  const t = o.temperature === undefined ? 1 : checkNumber('temperature', o.temperature, { min: 0, minExclusive: true });
  const k = o.topK === undefined ? undefined : checkInteger('topK', o.topK, { min: 1 });
  const p = o.topP === undefined ? 1 : checkNumber('topP', o.topP, { min: 0, max: 1, minExclusive: true });
  const mp = o.minP === undefined ? 0 : checkNumber('minP', o.minP, { min: 0, max: 1 });
  const tp = o.typicalP === undefined ? 1 : checkNumber('typicalP', o.typicalP, { min: 0, max: 1, minExclusive: true });
  const rp =
    o.repetitionPenalty === undefined
      ? 1
      : checkNumber('repetitionPenalty', o.repetitionPenalty, { min: 0, minExclusive: true });
  const ng = o.noRepeatNgramSize === undefined ? 0 : checkInteger('noRepeatNgramSize', o.noRepeatNgramSize, { min: 0 });
  if (o.processors !== undefined && !Array.isArray(o.processors)) {
    throw invalidProcessor('processors', o.processors, 'an array of LogitsProcessors');
  }
  (o.processors ?? []).forEach((proc, i) => {
    checkProcessor(`processors[${i}]`, proc);
  });
  return pipeline(
    ...(o.processors ?? []),
    rp !== 1 && repetitionPenalty(rp),
    ng > 0 && noRepeatNgram(ng),
    t !== 1 && temperature(t),
    k !== undefined && topK(k),
    p < 1 && topP(p),
    mp > 0 && minP(mp),
    tp < 1 && typicalP(tp),
  );
}

/** Throws DYNAMO_INVALID_OPTION unless `value` is an object with a `process` method. */
export function checkProcessor(option: string, value: unknown): LogitsProcessor {
  if (typeof value !== 'object' || value === null || typeof (value as LogitsProcessor).process !== 'function') {
    throw invalidProcessor(option, value);
  }
  return value as LogitsProcessor;
}

function invalidProcessor(
  option: string,
  actual: unknown,
  expected = 'a LogitsProcessor (an object with a process(logits, context) method)',
): DynamoError {
  return new DynamoError(
    DynamoErrorCode.INVALID_OPTION,
    `Option "${option}" must be ${expected}, got ${Object.prototype.toString.call(actual)}.`,
    { details: { option, expected, actual } },
  );
}
