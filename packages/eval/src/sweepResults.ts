import { DynamoError, DynamoErrorCode } from '@dynamojs/core';
import type { EvalSamplerSettings } from './samplerFactory.js';
import type { SweepConfiguration } from './sweepConfig.js';

/** One generated continuation and its measurements (a line of the results JSON). */
export interface SampleRecord {
  /** Configuration id. */
  readonly config: string;
  readonly prompt: string;
  readonly seed: number;
  readonly tokens: number[];
  readonly text: string;
  /** Mean oracle NLL per token under the base model's head 0, teacher-forced. */
  readonly nll: number;
  /** Per-token surprisal under the base model (rounded to 1e-3): the two-sample test's input. */
  readonly surprisal?: number[];
  /** Share of repeated 3-grams. */
  readonly repetition: number;
  readonly distinct1: number;
  readonly distinct2: number;
  readonly forwardPasses: number;
  /** tokens / forward passes (prefill included), as generate reports it. */
  readonly tokensPerPass: number;
  /** Passes that emitted 1, 2, 3, … tokens (index 0: one token). */
  readonly emitted: number[];
  /** `verified` rows: per draft depth, positions with drafted candidates and accepted ones. */
  readonly acceptance?: { readonly proposed: number[]; readonly accepted: number[] };
  /** Prefill + decode time of the generation, ms (oracle scoring excluded). */
  readonly ms: number;
  readonly finishReason: string;
}

/** Everything an eval run measured: JSON-serialisable, and the input of a resumed run. */
export interface SweepResults {
  readonly format: 'dynamo-eval';
  readonly version: 1;
  readonly model: { readonly name: string; readonly heads: number; readonly vocabSize: number };
  readonly device: string | null;
  readonly masked: boolean;
  readonly settings: EvalSamplerSettings;
  readonly maxNewTokens: number;
  readonly prompts: readonly string[];
  readonly seeds: readonly number[];
  readonly configurations: readonly SweepConfiguration[];
  readonly samples: readonly SampleRecord[];
  readonly started: string;
  readonly updated: string;
  /** True when every (configuration, prompt, seed) has a sample. */
  readonly complete: boolean;
}

export function sampleKey(config: string, prompt: string, seed: number): string {
  return `${config}\u0000${seed}\u0000${prompt}`;
}

/**
 * Checks that a partial results object can be resumed with this run's setup; returns its samples
 * by key. Throws DYNAMO_INVALID_OPTION (option `previous`) on a mismatch of model, settings or
 * continuation length — samples of another setup must not be mixed in.
 */
export function resumableSamples(
  previous: unknown,
  expected: Pick<SweepResults, 'model' | 'settings' | 'maxNewTokens' | 'masked'>,
): Map<string, SampleRecord> {
  const p = previous as Partial<SweepResults> | null;
  if (p === null || typeof p !== 'object' || p.format !== 'dynamo-eval' || !Array.isArray(p.samples)) {
    throw new DynamoError(
      DynamoErrorCode.INVALID_OPTION,
      'The previous results are not a dynamo-eval results object.',
      {
        details: { option: 'previous' },
      },
    );
  }
  const mismatch = (field: string, a: unknown, b: unknown) => {
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      throw new DynamoError(
        DynamoErrorCode.INVALID_OPTION,
        `Cannot resume: the previous results were made with another ${field} (${JSON.stringify(a)}, now ${JSON.stringify(b)}). Start a fresh run.`,
        { details: { option: 'previous', field } },
      );
    }
  };
  mismatch('model', p.model, expected.model);
  mismatch('settings', p.settings, expected.settings);
  mismatch('maxNewTokens', p.maxNewTokens, expected.maxNewTokens);
  mismatch('masking (co-occurrence tables)', p.masked, expected.masked);
  return new Map(p.samples.map((s) => [sampleKey(s.config, s.prompt, s.seed), s]));
}
