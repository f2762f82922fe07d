import {
  type DecodingDefaults,
  type Drafter,
  type DraftHead,
  DynamoError,
  DynamoErrorCode,
  type LogitsProcessor,
  type MultiTokenModel,
  type Sampler,
} from '@dynamojs/core';
import {
  assistantDrafter,
  type CoOccurrenceTables,
  draftHeadDrafter,
  dynamo,
  dynamoChain,
  dynamoDrafter,
  dynamoTreeDrafter,
  greedy,
  ngramDrafter,
  recommendedTreeBudget,
  repetitionPenalty,
  sampling,
  topOneDrafter,
  topP,
} from '@dynamojs/samplers';
import { type DecodingSettings, type ResolvedDecodingSettings, resolveDecodingSettings } from './decodingSettings.js';
import { chooseDrafter, type DrafterKind } from './drafterKind.js';

/**
 * What is known of the model when deciding: before loading, from its manifest (booleans: it ships
 * a draft head / tables); after, the loaded objects. Objects given here are used by `create()`.
 */
export interface DecodingContext {
  /** The manifest's `decoding` recommendations (the model's defaults). */
  readonly decoding?: DecodingDefaults;
  /** Heads of the multi-head graph (default 1: a plain decoder). */
  readonly heads?: number;
  /** The model ships a draft head (or the loaded one). */
  readonly draftHead?: boolean | DraftHead;
  /** The model ships co-occurrence tables (or the loaded ones). */
  readonly tables?: boolean | CoOccurrenceTables;
  /** The device the model runs on ('cpu', 'wasm', 'webgpu', 'cuda'); unknown: decided as for the CPU. */
  readonly device?: string;
  /** The vocabulary size, checked against the tables by the DynaMo heads' sampler. */
  readonly vocabSize?: number;
  /**
   * An assistant model is given (or the loaded one): it drafts for `verified` (`drafter: 'auto'`
   * picks it; `'assistant'` needs it).
   */
  readonly assistant?: boolean | MultiTokenModel;
  /**
   * False when the model's graph is not pass-invariant (`ModelMetadata.passInvariant`: dynamic
   * activation quantization, q8): `verified` on it is not exactly `ar`, and a plan without a mode
   * picks `ar` for a plain model.
   */
  readonly passInvariant?: boolean;
}

/** The objects a plan's `create()` needs when the context only said they exist. */
export interface DecodingRuntime {
  readonly draftHead?: DraftHead;
  readonly tables?: CoOccurrenceTables;
  /** The loaded assistant model of the `assistant` drafter (not owned by the plan: the caller disposes it). */
  readonly assistant?: MultiTokenModel;
  /** The target model, when known: the assistant's vocabulary and device are checked against it. */
  readonly target?: MultiTokenModel;
  /** The device the model landed on, when the context did not know it (sets the default tree budget). */
  readonly device?: string;
}

/** generate()'s decoding options for one generation (fresh objects: samplers keep per-run state). */
export interface DecodingComponents {
  readonly mode: 'ar' | 'dynamo' | 'verified';
  readonly sampler: Sampler;
  readonly processors: LogitsProcessor[];
  readonly drafter?: Drafter;
  readonly verification?: 'match' | 'speculative';
}

/**
 * A decoding, decided: which method runs, on which graph, with what — made once per request by
 * {@link resolveDecoding}; `create()` makes the sampler, drafter and processors for each generation.
 */
export interface DecodingPlan {
  readonly mode: 'ar' | 'dynamo' | 'verified';
  /** The decoding method generate() will run (`stats.method`). */
  readonly method: 'ar' | 'dynamo-heads' | 'dynamo-chain' | 'verified';
  /**
   * The graph to run: `'base'` — the base-only graph (the honest `ar` baseline; the draft head's
   * and n-gram drafts' graph), or the multi-head graph run with no extra head when the folder has
   * none; `'multi'` — the multi-head graph (the extra heads' rows are computed).
   */
  readonly graph: 'base' | 'multi';
  /** What to load with it. */
  readonly needs: { readonly draftHead: boolean; readonly tables: boolean; readonly assistant?: boolean };
  /** `'verified'`: the drafter that runs, and how drafts are checked. */
  readonly drafter: Exclude<DrafterKind, 'auto'> | undefined;
  readonly verification: 'match' | 'speculative' | undefined;
  /** Drafted nodes per pass of tree / n-gram drafts (`verified`). */
  readonly treeBudget: number | undefined;
  readonly settings: ResolvedDecodingSettings;
  /**
   * Things a user should know, each a predicate of the model's name or location ("has no ngrams.bin:
   * DynaMo runs without co-occurrence masking …").
   */
  readonly notes: readonly string[];
  /** generate()'s `mode`, `sampler`, `processors`, `drafter`, `verification` for one generation. */
  create(runtime?: DecodingRuntime): DecodingComponents;
}

function needsOption(option: string, what: string): DynamoError {
  return new DynamoError(DynamoErrorCode.INVALID_OPTION, what, { details: { option } });
}

/**
 * The one resolver from user settings to a decoding: sampler, drafter, verifier, processors and
 * graph, with one set of defaults (the settings, then the model's manifest, then the fallbacks).
 * `dynamo generate`, `dynamo bench`, `dynamo eval`, the AI SDK provider and the playground all call
 * it. Settings that cannot run on the model (`joint: 'chain'` without a draft head, a drafter
 * without its tables) throw DYNAMO_INVALID_OPTION naming the setting.
 */
export function resolveDecoding(settings: DecodingSettings = {}, context: DecodingContext = {}): DecodingPlan {
  const hasHead = context.draftHead !== undefined && context.draftHead !== false;
  const s = resolveDecodingSettings(withDefaultMode(settings, context, hasHead), context.decoding);
  const heads = context.heads ?? 1;
  const hasTables = context.tables !== undefined && context.tables !== false;
  const hasAssistant = context.assistant !== undefined && context.assistant !== false;
  const notes: string[] = [];
  const mode = s.mode;
  let method: DecodingPlan['method'] = mode === 'verified' ? 'verified' : 'ar';
  let drafter: Exclude<DrafterKind, 'auto'> | undefined;
  let verification: DecodingPlan['verification'];
  let treeBudget: number | undefined;

  if (mode === 'dynamo') {
    if (s.joint === 'chain' && !hasHead) {
      throw needsOption(
        'joint',
        `joint: 'chain' needs a model with a draft head (a "draft-head" file in dynamo.json); this one has none. Use joint: 'heads'.`,
      );
    }
    // sampling: the draft head's chain when the model has one; greedy: the heads' top-1
    const chain = s.joint === 'chain' || (s.joint === 'auto' && hasHead && !s.greedy);
    method = chain ? 'dynamo-chain' : 'dynamo-heads';
    if (!chain && heads === 1) notes.push("is a one-head model: mode 'dynamo' emits one token per pass, as 'ar' does");
    else if (!chain && !hasTables) {
      notes.push('has no ngrams.bin: DynaMo runs without co-occurrence masking (the paper\'s "no mask" variant)');
    }
  } else if (mode === 'verified') {
    drafter =
      s.drafter === 'auto'
        ? chooseDrafter({
            ...s,
            heads,
            draftHead: hasHead,
            tables: hasTables,
            assistant: hasAssistant,
            device: context.device,
          })
        : s.drafter;
    if (drafter === 'assistant' && !hasAssistant) {
      throw needsOption(
        'drafter',
        'The assistant drafter needs an assistant model (a small model with the same vocabulary: `assistant` in the decoding context, --assistant PATH).',
      );
    }
    if (drafter === 'head' && !hasHead) {
      throw needsOption(
        'drafter',
        'The head drafter needs a model with a draft head (a "draft-head" file in dynamo.json).',
      );
    }
    if ((drafter === 'tree' || drafter === 'dynamo' || drafter === 'dynamo-sample') && !hasTables) {
      throw needsOption(
        'drafter',
        `The ${drafter} drafter needs co-occurrence tables (ngrams.bin in the model folder).`,
      );
    }
    // drafts with their distribution reported are checked by speculative sampling (more accepted)
    const reportsQ = !s.greedy && (drafter === 'head' || drafter === 'assistant' || drafter === 'dynamo-sample');
    verification = s.verification === 'auto' ? (reportsQ ? 'speculative' : 'match') : s.verification;
    treeBudget = s.treeBudget ?? recommendedTreeBudget(context.device);
    if (context.passInvariant === false) {
      notes.push(
        "quantizes activations dynamically (a q8 graph): a token's logits depend on the other tokens of its pass, so 'verified' is not exactly 'ar' on it (use an fp32, fp16 or q4 file for lossless speed)",
      );
    }
  }
  const chain = method === 'dynamo-chain';
  const graph: DecodingPlan['graph'] =
    mode === 'ar' || chain || drafter === 'ngram' || drafter === 'head' || drafter === 'assistant' ? 'base' : 'multi';
  const needs = {
    draftHead: chain || drafter === 'head',
    tables:
      method === 'dynamo-heads' ||
      (drafter !== undefined && drafter !== 'top1' && drafter !== 'head' && drafter !== 'assistant'),
    assistant: drafter === 'assistant',
  };

  const create = (runtime: DecodingRuntime = {}): DecodingComponents => {
    const tables = runtime.tables ?? (typeof context.tables === 'object' ? context.tables : undefined);
    const head = runtime.draftHead ?? (typeof context.draftHead === 'object' ? context.draftHead : undefined);
    const processors: LogitsProcessor[] = s.repetitionPenalty === 1 ? [] : [repetitionPenalty(s.repetitionPenalty)];
    const nucleus = s.topP < 1 ? { topP: s.topP } : {};
    const plain = (): Sampler =>
      s.greedy ? greedy() : sampling({ temperature: s.temperature, topK: s.topK, ...nucleus });
    if (method === 'dynamo-chain') {
      const sampler = dynamoChain({
        temperature: s.temperature,
        topK: s.greedy ? 1 : s.topK,
        ...(!s.greedy && nucleus),
        minDraftProbability: s.minDraftProbability,
        chainLength: s.chainLength,
        draftTemperatureRatio: s.draftTemperatureRatio,
      });
      return { mode, sampler, processors };
    }
    if (method === 'dynamo-heads') {
      const sampler = dynamo({
        preset: s.preset,
        // greedy: each head's top-1, so each pass emits the heads' argmax tokens (backing off where unsure)
        topK: s.greedy ? 1 : s.topK,
        temperature: s.temperature,
        // top-p keeps each head's nucleus at temperature 1, before DynaMo's per-head top-k
        ...(!s.greedy && s.topP < 1 && { processors: [topP(s.topP)] }),
        ...(context.vocabSize !== undefined && { vocabSize: context.vocabSize }),
        // the model's values for the preset, the settings' and their `dynamo` overrides (e.g. an ablation's)
        ...s.dynamo,
        ...(s.dynamo.mask === false || tables === undefined ? { mask: false } : { tables }),
      });
      return { mode, sampler, processors };
    }
    if (mode === 'ar') return { mode, sampler: plain(), processors };
    const sampler = plain();
    const budget = s.treeBudget ?? recommendedTreeBudget(runtime.device ?? context.device);
    let d: Drafter;
    switch (drafter) {
      case 'head': {
        if (head === undefined) {
          throw needsOption('drafter', 'The head drafter needs the loaded draft head (create({ draftHead })).');
        }
        d = draftHeadDrafter({
          head,
          depth: Math.max(1, s.chainLength - 1),
          ...(s.greedy
            ? { draw: 'argmax' as const }
            : {
                temperature: s.temperature * s.draftTemperatureRatio,
                topK: s.topK,
                ...(s.repetitionPenalty !== 1 && { repetitionPenalty: s.repetitionPenalty }),
              }),
        });
        break;
      }
      case 'assistant': {
        const assistant = runtime.assistant ?? (typeof context.assistant === 'object' ? context.assistant : undefined);
        if (assistant === undefined) {
          throw needsOption(
            'drafter',
            'The assistant drafter needs the loaded assistant model (create({ assistant })).',
          );
        }
        d = assistantDrafter(assistant, {
          ...(runtime.target !== undefined && { target: runtime.target }),
          ...(s.assistantK !== undefined && { k: s.assistantK }),
          ...(s.assistantMinProbability !== undefined && { minProbability: s.assistantMinProbability }),
          // the target's processors on the assistant's logits: q as close to p as the settings make it
          ...(s.greedy
            ? { draw: 'argmax' as const }
            : {
                temperature: s.temperature,
                topK: s.topK,
                ...nucleus,
                ...(s.repetitionPenalty !== 1 && { repetitionPenalty: s.repetitionPenalty }),
              }),
        });
        break;
      }
      case 'top1':
        d = topOneDrafter();
        break;
      case 'ngram':
        d = ngramDrafter({ ...(tables && { tables }), budget });
        break;
      default: {
        if (tables === undefined) {
          throw needsOption(
            'drafter',
            `The ${drafter} drafter needs the loaded co-occurrence tables (create({ tables })).`,
          );
        }
        d =
          drafter === 'tree'
            ? dynamoTreeDrafter({ tables, budget })
            : dynamoDrafter({
                tables,
                topK: s.topK,
                temperature: s.temperature,
                ...(s.dynamo.alpha !== undefined && { alpha: s.dynamo.alpha }),
                mode: drafter === 'dynamo-sample' ? 'sample' : 'argmax',
              });
      }
    }
    return { mode, sampler, processors, drafter: d, ...(verification && { verification }) };
  };

  return { mode, method, graph, needs, drafter, verification, treeBudget, settings: s, notes, create };
}

/**
 * The mode when neither the settings nor the manifest name one: `'dynamo'` (DynaMo's multi-token
 * sampling) on a model with extra heads or a draft head, the fallback's; on a model known to be a
 * plain one-head decoder (a hub export: `heads: 1`, no draft head), where DynaMo has nothing to
 * emit extra tokens from, lossless `'verified'` (prompt-lookup / n-gram drafts) — or `'ar'` where
 * the graph is not pass-invariant, so that the default is always exactly the model's output. With an
 * assistant model in the context, `'verified'` on any model (it is the mode the assistant drafts for).
 */
function withDefaultMode(settings: DecodingSettings, context: DecodingContext, hasHead: boolean): DecodingSettings {
  if (typeof settings !== 'object' || settings === null || settings.mode !== undefined) return settings;
  // an assistant given without a mode: the caller asked for assistant drafting, which is `verified`'s
  if (context.assistant !== undefined && context.assistant !== false) return { ...settings, mode: 'verified' };
  if (context.heads !== 1 || hasHead) return settings;
  return { ...settings, mode: context.passInvariant === false ? 'ar' : 'verified' };
}
