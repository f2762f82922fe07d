import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV4,
  LanguageModelV4CallOptions,
} from '@ai-sdk/provider';
import type { Constraint, MultiTokenModel, Sampler, TextTokenizer } from '@dynamojs/core';
import {
  type DecodingComponents,
  type DecodingMode,
  type DecodingPlan,
  type GenerateEvent,
  type GenerateOptions,
  generate,
  type ResolvedDecodingSettings,
  resolveDecoding,
  stream,
} from '@dynamojs/generate';
import type { CoOccurrenceTables } from '@dynamojs/samplers';
import { PROVIDER_OPTIONS_KEY, type PreparedCall, type PreparedPrompt, prepareCall, promptFor } from './callOptions.js';
import { type GenerationQueue, queueFor } from './generationQueue.js';
import type { LoadedModel } from './modelStore.js';
import { abortError, finishReason, providerMetadata, toCallError, usage } from './results.js';
import type { DynamojsGenerationSettings } from './settings.js';
import type {
  CallOptions,
  CallWarning,
  DynamojsGenerateResult,
  DynamojsStreamPart,
  DynamojsStreamResult,
} from './specTypes.js';
import { jsonResponseConstraint } from './structuredOutput.js';

/** What a model object is bound to (made by the provider). */
export interface ModelConfig {
  /** `'dynamojs'`: the provider name, also the key of `providerOptions` and `providerMetadata`. */
  readonly provider: string;
  /** Loads the model on first use (shared between model objects of one provider). */
  readonly load: () => Promise<LoadedModel>;
  /** Provider and model settings, merged. */
  readonly settings: DynamojsGenerationSettings;
  /** The `assistant` setting's model, loaded on first use (`verified` drafts with it). */
  readonly assistant?: () => Promise<MultiTokenModel>;
  /** The `maxConcurrency` setting: generations at once on the loaded model (default by device). */
  readonly maxConcurrency?: number;
}

/** A loaded model, as `languageModel.load()` gives it. */
export interface DynamojsLoadedModel {
  /** The folder or URL it was loaded from. */
  readonly location: string;
  /** The multi-head model (`@dynamojs/onnx`'s `OnnxModel` for folders): metadata, device report. */
  readonly model: MultiTokenModel;
  readonly tokenizer: TextTokenizer;
  /** The co-occurrence tables DynaMo masks with, when the folder has ngrams.bin. */
  readonly tables: CoOccurrenceTables | undefined;
}

interface Run {
  readonly prepared: PreparedCall;
  readonly sampling: ResolvedDecodingSettings;
  readonly options: GenerateOptions;
  readonly sampler: Sampler;
  readonly warnings: CallWarning[];
  /** `request.body`: what the model is asked (prompt text, mode, sampling in force). */
  readonly request: Record<string, unknown>;
  /** The loaded model's line of generations (a run holds a slot while it generates). */
  readonly queue: GenerationQueue;
}

/**
 * After a generation: releases what the run's drafter holds (the assistant drafter's KV cache —
 * device memory on a GPU). Drafters without `dispose` are left as they are; idempotent, never throws.
 */
function releaseDrafter(run: Run): void {
  try {
    (run.options.drafter as { dispose?: () => void } | undefined)?.dispose?.();
  } catch {
    // best effort: the call's result stands
  }
}

/** The implementation both specification versions share. */
abstract class DynamojsModelBase {
  readonly provider: string;
  readonly modelId: string;
  /** No URL is read natively: the AI SDK downloads files itself (and file parts are unsupported). */
  readonly supportedUrls: Record<string, RegExp[]> = {};
  readonly #config: ModelConfig;

  constructor(modelId: string, config: ModelConfig) {
    this.modelId = modelId;
    this.provider = config.provider;
    this.#config = config;
  }

  /**
   * Loads the model now (otherwise the first call does): download or read the files, start the
   * runtime on the device. Resolves with the model, its tokenizer and tables.
   */
  async load(): Promise<DynamojsLoadedModel> {
    const { location, model, tokenizer, tables } = await this.#config.load();
    return { location, model, tokenizer, tables };
  }

  async #start(call: CallOptions): Promise<Run> {
    const prepared = prepareCall(call, this.#config.settings);
    if (call.abortSignal?.aborted) throw abortError(call.abortSignal);
    const loaded = await this.#config.load();
    const decoding = loaded.model.metadata.decoding;
    let plan: DecodingPlan;
    let components: DecodingComponents;
    let model: MultiTokenModel;
    let prompt: PreparedPrompt;
    let constraint: Constraint | undefined;
    const warnings = [...prepared.warnings];
    try {
      // the model's chat template, when its tokenizer has one (else the text or a transcript)
      prompt = promptFor(prepared, loaded.tokenizer, warnings);
      // the one resolver: 'dynamo' on a model with a draft head runs its chain on the base-only graph
      // (unless the call asks for the heads, or decodes greedily: the heads' top-1); 'verified'
      // drafts with the best lossless drafter for the model and device
      plan = resolveDecoding(
        { ...prepared.sampling, mode: prepared.mode as DecodingMode },
        {
          decoding,
          heads: loaded.model.metadata.heads,
          draftHead: loaded.draftHead,
          tables: loaded.tables !== undefined,
          ...(loaded.model.metadata.device !== undefined && { device: loaded.model.metadata.device }),
          ...(this.#config.assistant !== undefined && { assistant: true }),
        },
      );
      model = plan.graph === 'base' ? await loaded.baseModel() : loaded.model;
      const assistant =
        plan.needs.assistant === true && this.#config.assistant !== undefined
          ? await this.#config.assistant()
          : undefined;
      components = plan.create({
        ...(loaded.tables !== undefined && { tables: loaded.tables }),
        ...(model.draftHead !== undefined && { draftHead: model.draftHead }),
        ...(assistant !== undefined && { assistant, target: model }),
      });
      // responseFormat json: the output follows the schema (or is JSON), in every mode
      if (prepared.json !== undefined) {
        const json = await jsonResponseConstraint(loaded.tokenizer, prepared.json);
        constraint = json.constraint;
        if (json.unenforced.length > 0) {
          warnings.push({
            type: 'unsupported',
            feature: 'responseFormat',
            details: `The JSON schema's ${json.unenforced.join(', ')} cannot be enforced by the grammar; the output follows the rest of the schema.`,
          });
        }
      }
    } catch (error) {
      throw toCallError(error, call.abortSignal);
    }
    for (const note of plan.notes) warnings.push({ type: 'other', message: `${loaded.location} ${note}.` });
    const sampling = plan.settings;
    return {
      prepared,
      sampling,
      request: {
        prompt: prompt.request.prompt,
        promptFormat: prompt.request.promptFormat,
        ...prepared.request,
        ...(prompt.request.stop && { stop: prompt.request.stop }),
        sampling,
        method: plan.method,
        ...(plan.drafter && { drafter: plan.drafter }),
      },
      options: {
        ...prepared.options,
        ...prompt.options,
        model,
        tokenizer: loaded.tokenizer,
        ...components,
        ...(constraint !== undefined && { constraint }),
      },
      sampler: components.sampler,
      warnings,
      queue: queueFor(loaded.model, this.#config.maxConcurrency),
    };
  }

  #metadata(run: Run, result: Parameters<typeof providerMetadata>[0]) {
    // the DynaMo sampler reports the options in force (its preset's eps_b when none was given)
    const resolved = (run.sampler as { options?: { preset?: string; epsilon?: number } }).options;
    const chain = (run.sampler as { minDraftProbability?: number }).minDraftProbability;
    const dynamo =
      run.prepared.mode !== 'dynamo'
        ? {}
        : chain !== undefined
          ? { minDraftProbability: chain }
          : { preset: resolved?.preset, epsilon: resolved?.epsilon ?? run.sampling.dynamo.epsilon };
    const heads = run.options.model.metadata.heads;
    return { [this.provider]: providerMetadata(result, { sampler: run.sampler.name, heads, ...dynamo }) };
  }

  protected async runGenerate(call: CallOptions): Promise<DynamojsGenerateResult> {
    const run = await this.#start(call);
    let result: Awaited<ReturnType<typeof generate>>;
    let release: (() => void) | undefined;
    try {
      release = await run.queue.acquire(call.abortSignal);
      result = await generate(run.options);
    } catch (error) {
      throw toCallError(error, call.abortSignal);
    } finally {
      release?.();
      releaseDrafter(run);
    }
    if (result.aborted) throw abortError(call.abortSignal);
    return {
      content: result.text.length > 0 ? [{ type: 'text', text: result.text }] : [],
      finishReason: finishReason(result.finishReason),
      usage: usage(result),
      providerMetadata: this.#metadata(run, result),
      request: { body: run.request },
      response: { modelId: this.modelId, timestamp: new Date() },
      warnings: run.warnings,
    };
  }

  protected async runStream(call: CallOptions): Promise<DynamojsStreamResult> {
    const run = await this.#start(call);
    const signal = call.abortSignal;
    const raw = call.includeRawChunks === true;
    // the generation starts when the stream is first read and a slot is free (see GenerationQueue)
    let events: AsyncIterator<GenerateEvent> | undefined;
    let release: (() => void) | undefined;
    const finish = () => {
      release?.();
      release = undefined;
      releaseDrafter(run);
    };
    const textId = 'text-0';
    let textStarted = false;
    let ended = false;
    const parts = new ReadableStream<DynamojsStreamPart>({
      start: (controller) => {
        controller.enqueue({ type: 'stream-start', warnings: run.warnings });
        controller.enqueue({ type: 'response-metadata', modelId: this.modelId, timestamp: new Date() });
      },
      // One pull runs until it has enqueued something (a stream only pulls again when asked).
      pull: async (controller) => {
        for (;;) {
          let next: IteratorResult<GenerateEvent>;
          try {
            if (events === undefined) {
              release = await run.queue.acquire(signal);
              events = stream(run.options)[Symbol.asyncIterator]();
            }
            next = await events.next();
          } catch (error) {
            ended = true;
            finish();
            controller.enqueue({ type: 'error', error: toCallError(error, signal) });
            controller.close();
            return;
          }
          if (next.done) {
            ended = true;
            finish();
            controller.close();
            return;
          }
          const event = next.value;
          if (event.type === 'tokens') {
            if (!raw) continue;
            controller.enqueue({ type: 'raw', rawValue: event });
          } else if (event.type === 'text') {
            if (raw) controller.enqueue({ type: 'raw', rawValue: event });
            if (!textStarted) {
              controller.enqueue({ type: 'text-start', id: textId });
              textStarted = true;
            }
            controller.enqueue({ type: 'text-delta', id: textId, delta: event.text });
          } else {
            const result = event.result;
            finish(); // the generation is over
            if (textStarted) controller.enqueue({ type: 'text-end', id: textId });
            if (result.aborted) {
              ended = true;
              controller.error(abortError(signal));
              return;
            }
            controller.enqueue({
              type: 'finish',
              finishReason: finishReason(result.finishReason),
              usage: usage(result),
              providerMetadata: this.#metadata(run, result),
            });
          }
          return;
        }
      },
      cancel: async () => {
        // the reader stopped early: end the generation and free its cache
        if (!ended) await events?.return?.(undefined);
        finish();
      },
    });
    return { stream: parts, request: { body: run.request } };
  }
}

/**
 * A DynaMo.js model as an AI SDK language model (specification V4, `ai` 7). Made by the provider:
 * `dynamojs('model-tiny')`, `dynamojs('/path/to/model/')`.
 */
export class DynamojsLanguageModel extends DynamojsModelBase implements LanguageModelV4 {
  readonly specificationVersion = 'v4' as const;

  doGenerate(options: LanguageModelV4CallOptions): Promise<DynamojsGenerateResult> {
    return this.runGenerate(options);
  }

  doStream(options: LanguageModelV4CallOptions): Promise<DynamojsStreamResult> {
    return this.runStream(options);
  }
}

/**
 * The same model under the AI SDK's specification V3 (`ai` 6; `ai` 7 accepts it too):
 * `createDynamojs({ specificationVersion: 'v3' })`. A text-only result has the same shape in both
 * versions.
 */
export class DynamojsLanguageModelV3 extends DynamojsModelBase implements LanguageModelV3 {
  readonly specificationVersion = 'v3' as const;

  doGenerate(options: LanguageModelV3CallOptions): Promise<DynamojsGenerateResult> {
    return this.runGenerate(options);
  }

  doStream(options: LanguageModelV3CallOptions): Promise<DynamojsStreamResult> {
    return this.runStream(options);
  }
}

export { PROVIDER_OPTIONS_KEY };
