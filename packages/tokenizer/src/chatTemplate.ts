import { type ChatMessage, type ChatTemplateOptions, DynamoError, DynamoErrorCode } from '@dynamojs/core';
import { Template } from '@huggingface/jinja';

/** A `chat_template` as tokenizer_config.json stores it: one string, or named templates. */
export type ChatTemplateSource = string | readonly { readonly name: string; readonly template: string }[];

/** The special-token names transformers.js hands to templates (additional_special_tokens not). */
const SPECIAL_TOKEN_ATTRIBUTES = [
  'bos_token',
  'eos_token',
  'unk_token',
  'sep_token',
  'pad_token',
  'cls_token',
  'mask_token',
] as const;

function templateError(message: string, details: Record<string, unknown> = {}, cause?: unknown): never {
  throw new DynamoError(DynamoErrorCode.INVALID_OPTION, message, {
    details: { option: 'chatTemplate', ...details },
    ...(cause === undefined ? {} : { cause }),
  });
}

function tokenFromConfig(config: Readonly<Record<string, unknown>>, key: string): string | undefined {
  if (!Object.hasOwn(config, key)) return undefined;
  const item = config[key];
  if (!item) return undefined;
  if (typeof item === 'object') {
    const t = item as { __type?: unknown; content?: unknown };
    if (t.__type === 'AddedToken' && typeof t.content === 'string') return t.content;
    throw new DynamoError(DynamoErrorCode.TOKENIZER_FORMAT, `tokenizer_config.json: unknown token in "${key}".`, {
      details: { file: 'tokenizer_config.json', field: key },
    });
  }
  return typeof item === 'string' ? item : undefined;
}

/**
 * A model's chat template(s) plus the special tokens of its tokenizer_config.json, rendered with
 * `@huggingface/jinja` the way transformers.js' `apply_chat_template` renders them.
 */
export class ChatTemplate {
  /** The single template, or the named templates. */
  private readonly templates: string | Readonly<Record<string, string>>;
  private readonly specialTokens: Readonly<Record<string, string>>;
  private readonly compiled = new Map<string, Template>();

  constructor(source: ChatTemplateSource, tokenizerConfig: Readonly<Record<string, unknown>> = {}) {
    if (typeof source === 'string') {
      this.templates = source;
    } else if (Array.isArray(source)) {
      const named: Record<string, string> = Object.create(null);
      for (const entry of source as readonly unknown[]) {
        const { name, template } = (entry ?? {}) as { name?: unknown; template?: unknown };
        if (typeof name !== 'string' || typeof template !== 'string') {
          throw new DynamoError(
            DynamoErrorCode.TOKENIZER_FORMAT,
            'chat_template must be a list of objects with "name" and "template" properties.',
            { details: { field: 'chat_template' } },
          );
        }
        named[name] = template;
      }
      this.templates = named;
    } else {
      throw new DynamoError(
        DynamoErrorCode.TOKENIZER_FORMAT,
        `chat_template must be a string or a list, got ${typeof source}.`,
        {
          details: { field: 'chat_template', actual: typeof source },
        },
      );
    }
    const special: Record<string, string> = Object.create(null);
    for (const key of SPECIAL_TOKEN_ATTRIBUTES) {
      const value = tokenFromConfig(tokenizerConfig, key);
      if (value) special[key] = value;
    }
    this.specialTokens = special;
  }

  /** The template of tokenizer_config.json (`chat_template`), or undefined when it has none. */
  static fromTokenizerConfig(tokenizerConfig: Readonly<Record<string, unknown>> | undefined): ChatTemplate | undefined {
    const source = tokenizerConfig?.chat_template;
    if (source === undefined || source === null || source === '') return undefined;
    return new ChatTemplate(source as ChatTemplateSource, tokenizerConfig);
  }

  /** Names of the named templates (empty for a single template). */
  get names(): string[] {
    return typeof this.templates === 'string' ? [] : Object.keys(this.templates).sort();
  }

  /** The template text used for `options` (transformers.js' `get_chat_template`). */
  select(options: Pick<ChatTemplateOptions, 'chatTemplate' | 'tools'> = {}): string {
    const requested = options.chatTemplate;
    const t = this.templates;
    if (typeof t === 'string') return requested ?? t;
    if (requested !== undefined) return Object.hasOwn(t, requested) ? (t[requested] as string) : requested;
    if (options.tools !== undefined && 'tool_use' in t) return t.tool_use as string;
    if ('default' in t) return t.default as string;
    return templateError(
      `This model has multiple chat templates with no default specified; pass chatTemplate (one of ${this.names.join(', ')}).`,
      { expected: this.names },
    );
  }

  /** Renders `messages` to the prompt text (the template adds bos etc. itself: encode it without special tokens). */
  render(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): string {
    if (!Array.isArray(messages)) {
      throw new DynamoError(DynamoErrorCode.INVALID_OPTION, `messages must be an array, got ${typeof messages}.`, {
        details: { option: 'messages', actual: typeof messages },
      });
    }
    if (options.continueFinalMessage === true && options.addGenerationPrompt === true) {
      templateError(
        'continueFinalMessage and addGenerationPrompt are not compatible: continue the last message, or open a new assistant turn.',
        { option: 'continueFinalMessage' },
      );
    }
    const source = this.select(options);
    let template = this.compiled.get(source);
    if (template === undefined) {
      try {
        template = new Template(source);
      } catch (cause) {
        const message = cause instanceof Error ? cause.message : String(cause);
        templateError(`The chat template could not be parsed: ${message}`, {}, cause);
      }
      this.compiled.set(source, template);
    }
    let rendered: string;
    try {
      rendered = template.render({
        messages,
        add_generation_prompt: options.addGenerationPrompt ?? false,
        tools: options.tools ?? null,
        documents: options.documents ?? null,
        ...this.specialTokens,
        ...options.templateVariables,
      } as Record<string, unknown>);
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : String(cause);
      return templateError(`The chat template failed: ${message}`, {}, cause);
    }
    return options.continueFinalMessage === true ? continueFinalMessage(rendered, messages) : rendered;
  }
}

/**
 * Cuts the rendered chat right after the last message's content, so the model continues it:
 * Python transformers' `continue_final_message` (transformers.js has no such option).
 */
function continueFinalMessage(rendered: string, messages: readonly ChatMessage[]): string {
  const content = messages.at(-1)?.content;
  let final: string | undefined;
  if (typeof content === 'string') final = content;
  else if (Array.isArray(content)) {
    for (let i = content.length - 1; i >= 0; i--) {
      const text = (content[i] as { text?: unknown }).text;
      if (typeof text === 'string') {
        final = text;
        break;
      }
    }
  }
  if (final === undefined) {
    templateError('continueFinalMessage needs a last message with text to continue.', {
      option: 'continueFinalMessage',
    });
  }
  const stripped = final.trim();
  const at = rendered.lastIndexOf(stripped);
  if (at < 0) {
    templateError(
      'continueFinalMessage: the last message does not appear in the rendered chat (the chat template changes it).',
      { option: 'continueFinalMessage' },
    );
  }
  const kept = final.trimStart();
  // the template kept the message's trailing whitespace (or it had none) / trimmed it
  return rendered.slice(0, at + (rendered.slice(at, at + kept.length) === final ? kept.length : stripped.length));
}

/**
 * Renders `messages` with a `chat_template` (a string or tokenizer_config.json's named list),
 * exactly as transformers.js' `apply_chat_template(messages, { tokenize: false })` does.
 */
export function renderChatTemplate(
  template: ChatTemplateSource,
  messages: readonly ChatMessage[],
  options: ChatTemplateOptions & { readonly tokenizerConfig?: Readonly<Record<string, unknown>> } = {},
): string {
  return new ChatTemplate(template, options.tokenizerConfig).render(messages, options);
}
