import { InvalidArgumentError } from '@ai-sdk/provider';
import type { ChatMessage, TextTokenizer } from '@dynamojs/core';
import type { DecodingSettings, GenerateOptions, GenerationMode } from '@dynamojs/generate';
import { chatMessages, promptText } from './prompt.js';
import { checkGenerationSettings, type DynamojsGenerationSettings } from './settings.js';
import type { CallOptions, CallWarning } from './specTypes.js';
import { type JsonResponse, jsonResponseOf } from './structuredOutput.js';

/** What a call asks of the decoding (@dynamojs/generate's settings; undefined = the model's default). */
export type SamplingRequest = Pick<
  DecodingSettings,
  | 'temperature'
  | 'topK'
  | 'topP'
  | 'repetitionPenalty'
  | 'preset'
  | 'epsilon'
  | 'joint'
  | 'minDraftProbability'
  | 'alpha'
  | 'blur'
  | 'drafter'
  | 'verification'
  | 'treeBudget'
  | 'assistantK'
  | 'assistantMinProbability'
>;

/**
 * A call, translated and checked before any model is loaded: everything but the model, tokenizer
 * and sampler (whose defaults come from the model's manifest).
 */
export interface PreparedCall {
  readonly mode: GenerationMode;
  /** Asked for by the call and the settings; resolved against the model's defaults later. */
  readonly sampling: SamplingRequest;
  /** The call's messages (text only, checked); {@link promptFor} renders them for the model. */
  readonly messages: readonly ChatMessage[];
  /**
   * The options for generate() / stream() without the prompt (see {@link promptFor}), model,
   * tokenizer, sampler and drafter.
   */
  readonly options: Omit<GenerateOptions, 'model' | 'tokenizer' | 'sampler' | 'drafter' | 'prompt' | 'messages'>;
  readonly warnings: CallWarning[];
  /** `responseFormat: { type: 'json', schema? }`: enforced with a grammar constraint once the tokenizer is known. */
  readonly json?: JsonResponse;
  /** What the model is asked, for `request.body`, without the prompt (see {@link promptFor}). */
  readonly request: Record<string, unknown>;
}

/** The prompt part of a call, once the model's tokenizer is known. */
export interface PreparedPrompt {
  /** generate()'s prompt options: `prompt`, or `messages` + `chatTemplateOptions`; and `stop`. */
  readonly options: Pick<GenerateOptions, 'prompt' | 'messages' | 'chatTemplateOptions' | 'stop'>;
  /** `request.body`'s prompt fields (debugging: the prompt text the model sees, and its format). */
  readonly request: { readonly prompt: string; readonly promptFormat: string; readonly stop?: readonly string[] };
}

/** The key of this provider's `providerOptions`. */
export const PROVIDER_OPTIONS_KEY = 'dynamojs';

const DYNAMO_ONLY = ['preset', 'epsilon', 'joint', 'minDraftProbability', 'alpha', 'blur'] as const;
const VERIFIED_ONLY = ['drafter', 'verification', 'treeBudget', 'assistantK', 'assistantMinProbability'] as const;

function unsupported(warnings: CallWarning[], feature: string, details: string): void {
  warnings.push({ type: 'unsupported', feature, details });
}

/**
 * Maps the AI SDK's call options onto DynaMo.js's generate options:
 * `maxOutputTokens` → `maxNewTokens`, `temperature` / `topK` / `topP` → the sampler (temperature 0
 * = greedy), `stopSequences` → `stop`, `seed` → `seed`, `abortSignal` → `signal`, and
 * `providerOptions.dynamojs` → this call's generation settings. What DynaMo.js cannot do is
 * reported, never dropped silently: tools, tool choice, presence and
 * frequency penalties and reasoning efforts become `unsupported` warnings; file parts and tool
 * messages throw UnsupportedFunctionalityError (see chatMessages). The prompt itself is rendered
 * once the model is loaded ({@link promptFor}: its chat template, if it has one). A JSON
 * `responseFormat` (with or without a schema) is enforced: `json` is compiled into a grammar
 * constraint for the model's tokenizer (structuredOutput.ts).
 *
 * `headers` are ignored: they are for HTTP providers, and `ai` always sends its user agent.
 */
export function prepareCall(call: CallOptions, defaults: DynamojsGenerationSettings): PreparedCall {
  const warnings: CallWarning[] = [];
  const perCall = checkGenerationSettings(
    `providerOptions.${PROVIDER_OPTIONS_KEY}`,
    call.providerOptions?.[PROVIDER_OPTIONS_KEY],
  );
  const settings: DynamojsGenerationSettings = { ...defaults, ...perCall };
  const mode = settings.mode ?? 'dynamo';

  if (call.tools !== undefined && call.tools.length > 0) {
    unsupported(
      warnings,
      'tools',
      `DynaMo.js models do not call tools: ${call.tools.map((t) => t.name).join(', ')} were not offered to the model.`,
    );
  }
  // `ai` always sends a tool choice ('auto' without tools): only one that demands a tool call is reported
  if (call.toolChoice?.type === 'required' || call.toolChoice?.type === 'tool') {
    unsupported(warnings, 'toolChoice', `DynaMo.js models do not call tools (toolChoice "${call.toolChoice.type}").`);
  }
  const json = jsonResponseOf(call);
  if (call.presencePenalty !== undefined) {
    unsupported(warnings, 'presencePenalty', 'Use providerOptions.dynamojs.repetitionPenalty instead.');
  }
  if (call.frequencyPenalty !== undefined) {
    unsupported(warnings, 'frequencyPenalty', 'Use providerOptions.dynamojs.repetitionPenalty instead.');
  }
  const reasoning = (call as { reasoning?: string }).reasoning;
  if (reasoning !== undefined && reasoning !== 'provider-default' && reasoning !== 'none') {
    unsupported(warnings, 'reasoning', 'DynaMo.js models do not reason before answering.');
  }
  for (const [only, keys] of [
    ['verified', VERIFIED_ONLY],
    ['dynamo', DYNAMO_ONLY],
  ] as const) {
    if (mode === only) continue;
    for (const key of keys) {
      if (perCall[key] !== undefined) {
        unsupported(
          warnings,
          key,
          `providerOptions.dynamojs.${key} only applies to mode '${only}' (this call: '${mode}').`,
        );
      }
    }
  }

  const stop: string[] = [];
  for (const [i, s] of (call.stopSequences ?? []).entries()) {
    if (typeof s !== 'string' || s.length === 0) {
      throw new InvalidArgumentError({
        argument: `stopSequences[${i}]`,
        message: `stopSequences[${i}] must be a non-empty string, got ${JSON.stringify(s)}.`,
      });
    }
    stop.push(s);
  }
  const messages = chatMessages(call.prompt, warnings);

  const sampling: SamplingRequest = {
    temperature: call.temperature,
    topK: call.topK,
    topP: call.topP,
    repetitionPenalty: settings.repetitionPenalty,
    preset: settings.preset,
    epsilon: settings.epsilon,
    joint: settings.joint,
    minDraftProbability: settings.minDraftProbability,
    alpha: settings.alpha,
    blur: settings.blur,
    drafter: settings.drafter,
    verification: settings.verification,
    treeBudget: settings.treeBudget,
    ...(settings.assistantK !== undefined && { assistantK: settings.assistantK }),
    ...(settings.assistantMinProbability !== undefined && {
      assistantMinProbability: settings.assistantMinProbability,
    }),
  };

  const options = {
    mode,
    ...(call.maxOutputTokens !== undefined && { maxNewTokens: call.maxOutputTokens }),
    ...(stop.length > 0 && { stop }),
    ...(call.seed !== undefined && { seed: call.seed }),
    ...(call.abortSignal !== undefined && { signal: call.abortSignal }),
    ...(settings.truncate !== undefined && { truncate: settings.truncate }),
  };
  const request = {
    mode,
    ...(call.maxOutputTokens !== undefined && { maxNewTokens: call.maxOutputTokens }),
    ...(stop.length > 0 && { stop }),
    ...(call.seed !== undefined && { seed: call.seed }),
    ...(settings.truncate !== undefined && { truncate: settings.truncate }),
    ...(json !== undefined && {
      responseFormat: { type: 'json', ...(json.schema !== undefined && { schema: json.schema }) },
    }),
  };
  return { mode, sampling, messages, options, warnings, request, ...(json !== undefined && { json }) };
}

/**
 * The prompt of a prepared call for the loaded model's tokenizer (see promptText): its chat
 * template when it has one, else the text itself or a transcript, whose stop string joins the
 * call's. Warnings go to `warnings`.
 */
export function promptFor(prepared: PreparedCall, tokenizer: TextTokenizer, warnings: CallWarning[]): PreparedPrompt {
  const prompt = promptText(prepared.messages, tokenizer, warnings);
  const stop = [...(prepared.options.stop ?? [])] as string[];
  for (const s of prompt.stop) if (!stop.includes(s)) stop.push(s);
  return {
    options: {
      ...(prompt.chat === undefined
        ? { prompt: prompt.text }
        : { messages: prompt.chat.messages, chatTemplateOptions: prompt.chat.options }),
      ...(stop.length > 0 && { stop }),
    },
    request: { prompt: prompt.text, promptFormat: prompt.format, ...(stop.length > 0 && { stop }) },
  };
}
