import {
  checkInteger,
  type Draft,
  DynamoError,
  DynamoErrorCode,
  type StepView,
  type SyncDrafter,
} from '@dynamojs/core';
import { checkTablesVocabulary } from '../tables/checkTablesVocabulary.js';
import type { CoOccurrenceTables } from '../tables/coOccurrenceTables.js';
import { CandidateTrie } from './candidateTrie.js';
import { addPromptLookup, extendWithTables, TreeSourceScratch } from './treeSources.js';

export interface NgramDrafterOptions {
  /** Co-occurrence tables of the model's tokenizer. Optional: without them, prompt lookup only. */
  readonly tables?: CoOccurrenceTables;
  /** Most drafted nodes per pass (the tree's budget), integer ≥ 1. Default 10. */
  readonly budget?: number;
  /** Levels drafted from the tables, integer ≥ 0. Default 4. */
  readonly depth?: number;
  /** Continuations per node taken from the tables, integer ≥ 1. Default 3. */
  readonly width?: number;
  /** Also propose what followed earlier occurrences of the last tokens (prompt lookup). Default true. */
  readonly promptLookup?: boolean;
  /** Longest suffix matched by prompt lookup (tokens). Default 3. */
  readonly maxNgram?: number;
  readonly name?: string;
}

/** Per-token confidence of a prompt-lookup continuation by match length n (1, 2, 3+). */
const LOOKUP_CONFIDENCE = [0, 0.2, 0.45, 0.7];

/**
 * Drafts for models without extra heads — any causal LM @dynamojs/onnx loads — so `verified`
 * speeds them up too: a tree of the most likely continuations of the last tokens from the n-gram
 * co-occurrence tables (p(c | a, b) from the trigram counts, else p(c | b)), merged with prompt
 * lookup (the tokens that followed earlier occurrences of the text's last 1–3 tokens, in the prompt
 * or the output). Each node is scored by the estimated probability of its path; the `budget` best
 * nodes form the tree. It reads no head (`heads: 1`): generation skips the extra heads, and on a
 * graph without tree attention verifies each tree's first path as a chain.
 */
export function ngramDrafter(options: NgramDrafterOptions = {}): SyncDrafter {
  const tables = options.tables;
  if (tables !== undefined && typeof tables.findBigram !== 'function') {
    throw new DynamoError(DynamoErrorCode.INVALID_OPTION, 'ngramDrafter: `tables` must be CoOccurrenceTables.', {
      details: { option: 'tables' },
    });
  }
  const budget = checkInteger('budget', options.budget ?? 10, { min: 1, max: 4096 });
  const depth = checkInteger('depth', options.depth ?? 4, { min: 0, max: 64 });
  const width = checkInteger('width', options.width ?? 3, { min: 1, max: 1024 });
  const maxNgram = checkInteger('maxNgram', options.maxNgram ?? 3, { min: 1, max: 16 });
  const lookup = options.promptLookup ?? true;
  if (tables === undefined && !lookup) {
    throw new DynamoError(
      DynamoErrorCode.INVALID_OPTION,
      'ngramDrafter needs `tables`, prompt lookup, or both: with neither it could never draft.',
      { details: { option: 'promptLookup' } },
    );
  }
  const trie = new CandidateTrie();
  const scratch = new TreeSourceScratch();
  const root = Int32Array.of(-1);
  return {
    name: options.name ?? 'ngram',
    heads: 1,
    draft(view: StepView, next: number): Draft {
      const V = view.vocabSize;
      if (tables !== undefined) checkTablesVocabulary(tables.vocabSize, V);
      trie.reset();
      const maxDepth = view.maxTokens - 1;
      const history = view.history;
      if (maxDepth <= 0 || history.length === 0 || history[history.length - 1] !== next) return trie.select(0);
      if (tables !== undefined && depth > 0) {
        extendWithTables(trie, tables, root, 1, Math.min(depth, maxDepth), width, budget, history, scratch);
      }
      if (lookup) {
        addPromptLookup(trie, history, {
          minNgram: 1,
          maxNgram,
          length: Math.min(maxDepth, 16),
          maxMatches: 3,
          confidence: LOOKUP_CONFIDENCE,
        });
      }
      return trie.select(budget);
    },
  };
}
