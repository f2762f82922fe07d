import { DynamoError, DynamoErrorCode, type MultiTokenModel } from '@dynamojs/core';
import { type DecodingContext, type DecodingPlan, type DecodingSettings, DRAFTERS } from '@dynamojs/generate';
import { DYNAMO_PRESETS, type DynamoPreset } from '@dynamojs/samplers';
import { int, num, oneOf } from './args.js';
import type { CliContext } from './commands/shared.js';
import type { LoadRequest, ModelBundle, ModelFacts } from './loader.js';

/**
 * The decoding flags every command shares (`--greedy`, `--temperature`, `--top-k`,
 * `--repetition-penalty`, `--alpha`, `--blur`, and those a command declares: `--epsilon`,
 * `--preset`, `--min-draft-p`, `--chain-length`, `--joint`, `--drafter`, `--tree-budget`,
 * `--verification`, `--assistant-k`, `--assistant-min-p`) as @dynamojs/generate's one settings type. Unset flags stay unset: the
 * model's manifest, then the resolver's fallbacks, decide them.
 */
export function decodingSettings(values: Record<string, unknown>): DecodingSettings {
  const given = <T>(key: keyof DecodingSettings, value: T | undefined) => (value === undefined ? {} : { [key]: value });
  return {
    ...(values.greedy === true && { greedy: true }),
    ...given('temperature', num(values, 'temperature', { min: 0, minExclusive: true })),
    ...given('topK', int(values, 'top-k', { min: 1 })),
    ...given('repetitionPenalty', num(values, 'repetition-penalty', { min: 0, minExclusive: true })),
    ...given('alpha', num(values, 'alpha', { min: 0 })),
    ...given('blur', int(values, 'blur', { min: 1 })),
    ...given('epsilon', num(values, 'epsilon', { min: 0, max: 1 })),
    ...given('preset', oneOf(values, 'preset', Object.keys(DYNAMO_PRESETS) as DynamoPreset[])),
    ...given('minDraftProbability', num(values, 'min-draft-p', { min: 0, max: 1 })),
    ...given('chainLength', int(values, 'chain-length', { min: 1, max: 16 })),
    ...given('joint', oneOf(values, 'joint', ['chain', 'heads'] as const)),
    ...given('drafter', oneOf(values, 'drafter', DRAFTERS)),
    ...given('treeBudget', int(values, 'tree-budget', { min: 1, max: 4096 })),
    ...given('verification', oneOf(values, 'verification', ['match', 'speculative'] as const)),
    ...given('assistantK', int(values, 'assistant-k', { min: 1, max: 16 })),
    ...given('assistantMinProbability', num(values, 'assistant-min-p', { min: 0, max: 1 })),
  } as DecodingSettings;
}

/**
 * `--assistant PATH`: loads the assistant model folder with the same loader as the model, its
 * base-only graph (the multi-head graph when the folder has none), on the device the target landed
 * on. Returns the model and how to release it (the caller disposes it; the drafter does not own it).
 */
export async function loadAssistant(
  ctx: CliContext,
  assistantPath: string,
  where: { readonly device: string; readonly threads?: number | undefined },
): Promise<{ model: MultiTokenModel; dispose(): Promise<void> }> {
  const bundle = await ctx.loader({
    modelPath: assistantPath,
    device: where.device,
    ...(where.threads !== undefined && { threads: where.threads }),
    multi: false,
    base: true,
    tables: false,
  });
  const model = bundle.baseModel ?? bundle.model;
  if (model === undefined) {
    await bundle.dispose();
    throw new DynamoError(DynamoErrorCode.MODEL_LOAD, `No assistant model was loaded from ${assistantPath}.`, {
      details: { option: 'assistant', file: assistantPath },
    });
  }
  return { model, dispose: () => bundle.dispose() };
}

/**
 * After a generation: releases what its drafter holds (the assistant drafter's KV cache — device
 * memory on a GPU). Drafters without `dispose` are left as they are. Never throws.
 */
export function releaseDrafter(drafter: unknown): void {
  try {
    (drafter as { dispose?: () => void } | undefined)?.dispose?.();
  } catch {
    // releasing is best effort: the generation's result stands
  }
}

/** What to load for these plans: each plan's graph, draft head and tables. */
export function loadRequestFor(
  plans: readonly DecodingPlan[],
  where: Pick<LoadRequest, 'modelPath' | 'device' | 'threads' | 'dtype'>,
): LoadRequest {
  return {
    ...where,
    multi: plans.some((p) => p.graph === 'multi'),
    base: plans.some((p) => p.graph === 'base'),
    draftHead: plans.some((p) => p.needs.draftHead),
    tables: plans.some((p) => p.needs.tables),
  };
}

/** The loaded model a plan runs on (a folder without a base-only graph runs `'base'` plans on the multi-head one). */
export function modelFor(plan: DecodingPlan, bundle: ModelBundle): MultiTokenModel {
  const model = plan.graph === 'base' ? (bundle.baseModel ?? bundle.model) : bundle.model;
  if (model === undefined) throw new DynamoError(DynamoErrorCode.INTERNAL, 'No model was loaded.');
  return model;
}

/** What the resolver knows of a loaded bundle. */
export function factsOf(bundle: ModelBundle): ModelFacts {
  const model = bundle.model ?? bundle.baseModel;
  return {
    heads: bundle.model?.metadata.heads ?? 1,
    draftHead: bundle.draftHead === true,
    tables: bundle.tables !== undefined,
    ...(model?.metadata.decoding !== undefined && { decoding: model.metadata.decoding }),
    ...(model?.metadata.passInvariant === false && { passInvariant: false }),
  };
}

/**
 * Plans a command's decodings and loads what they need. With the loader's `inspect` the plans are
 * made from the folder's manifest first and only their graphs and files are loaded; without it,
 * `fallback` is loaded and the plans are made from what it brought.
 */
export async function loadPlanned<T>(
  ctx: CliContext,
  where: Pick<LoadRequest, 'modelPath' | 'device' | 'threads' | 'dtype'>,
  plan: (context: DecodingContext) => T,
  plansOf: (planned: T) => readonly DecodingPlan[],
  fallback: Omit<LoadRequest, 'modelPath' | 'device' | 'threads' | 'dtype'>,
): Promise<{ bundle: ModelBundle; planned: T }> {
  const device = where.device === 'auto' ? {} : { device: where.device };
  if (ctx.loader.inspect !== undefined) {
    const planned = plan({ ...(await ctx.loader.inspect(where.modelPath, where.dtype)), ...device });
    return { bundle: await ctx.loader(loadRequestFor(plansOf(planned), where)), planned };
  }
  const bundle = await ctx.loader({ ...where, ...fallback });
  try {
    return { bundle, planned: plan({ ...factsOf(bundle), ...device }) };
  } catch (error) {
    await bundle.dispose();
    throw error;
  }
}
