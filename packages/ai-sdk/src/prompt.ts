import { UnsupportedFunctionalityError } from '@ai-sdk/provider';
import {
  type ChatMessage,
  type ChatTemplateOptions,
  DynamoErrorCode,
  isDynamoError,
  type TextTokenizer,
} from '@dynamojs/core';
import type { CallWarning, PromptMessage } from './specTypes.js';

/** The text the model continues, and what the conversion added. */
export interface PromptText {
  readonly text: string;
  /**
   * `'chat-template'`: the messages rendered with the model's chat template; `'raw'`: one user
   * message of a model without a template, continued as it is; `'transcript'`: the messages of a
   * model without a template, joined as a transcript.
   */
  readonly format: 'chat-template' | 'raw' | 'transcript';
  /** Stop strings the format needs (the transcript's next `user:` turn). */
  readonly stop: readonly string[];
  /** `'chat-template'`: what generate() renders (`messages` + `chatTemplateOptions`). */
  readonly chat?: { readonly messages: readonly ChatMessage[]; readonly options: ChatTemplateOptions };
}

const USER = 'user:';
const ASSISTANT = 'assistant:';

/**
 * The AI SDK prompt as chat messages `{ role, content }` (system, user, assistant; text only),
 * checked before any model is loaded. Files (images, audio, documents) and tool calls/results
 * cannot be represented: UnsupportedFunctionalityError. Reasoning and custom parts of earlier
 * assistant turns are left out with an `unsupported` warning.
 */
export function chatMessages(prompt: readonly PromptMessage[], warnings: CallWarning[]): ChatMessage[] {
  const skipped = new Set<string>();
  const textOf = (role: string, parts: readonly { type: string; text?: string }[]): string => {
    let text = '';
    for (const part of parts) {
      switch (part.type) {
        case 'text':
          text += part.text ?? '';
          break;
        case 'file':
          throw new UnsupportedFunctionalityError({
            functionality: 'file parts',
            message:
              'File parts (images, audio, documents) are not supported: DynaMo.js models read text only. Pass the text instead.',
          });
        case 'tool-call':
        case 'tool-result':
        case 'tool-approval-response':
          throw new UnsupportedFunctionalityError({
            functionality: 'tool calls',
            message: `${part.type} parts are not supported: DynaMo.js models do not call tools.`,
          });
        default:
          // reasoning, reasoning-file, custom: produced by other models, meaningless here
          skipped.add(`${role} ${part.type} parts`);
      }
    }
    return text;
  };

  const messages = prompt.map((message): ChatMessage => {
    switch (message.role) {
      case 'system':
        return { role: 'system', content: message.content };
      case 'user':
      case 'assistant':
        return {
          role: message.role,
          content: textOf(message.role, message.content as readonly { type: string; text?: string }[]),
        };
      case 'tool':
        throw new UnsupportedFunctionalityError({
          functionality: 'tool messages',
          message: 'Tool messages are not supported: DynaMo.js models do not call tools.',
        });
      default:
        throw new UnsupportedFunctionalityError({
          functionality: `${(message as { role: string }).role} messages`,
        });
    }
  });
  for (const what of skipped) {
    warnings.push({ type: 'unsupported', feature: what, details: `${what} were left out of the prompt.` });
  }
  return messages;
}

/**
 * The prompt text for a model. A tokenizer with a chat template (instruct models:
 * tokenizer_config.json's `chat_template`) renders the messages with it, the assistant turn
 * opened — or, when the last message is the assistant's, continued (a prefill); generation then
 * stops at the template's end-of-turn token.
 *
 * Without a template (DynaMo's base models continue text): one user message (what
 * `generateText({ prompt })` sends) is continued as it is, anything else becomes a plain
 * transcript — the system text, then `user:` / `assistant:` turns, ending with `assistant:` (or
 * continuing a last assistant message) — as the AI SDK's own completion-style providers write it,
 * with `\nuser:` as a stop string; a `compatibility` warning says so.
 */
export function promptText(
  messages: readonly ChatMessage[],
  tokenizer: TextTokenizer | undefined,
  warnings: CallWarning[],
): PromptText {
  const chat = renderChat(messages, tokenizer);
  if (chat !== undefined) return chat;

  const only = messages.length === 1 ? messages[0] : undefined;
  if (only?.role === 'user') return { text: only.content as string, format: 'raw', stop: [] };

  let text = '';
  messages.forEach((message, i) => {
    if (message.role === 'system') text += `${message.content}\n\n`;
    else if (message.role === 'user') text += `${USER}\n${message.content}\n\n`;
    // a last assistant message is continued (prefill), earlier ones are closed
    else
      text += i === messages.length - 1 ? `${ASSISTANT}\n${message.content}` : `${ASSISTANT}\n${message.content}\n\n`;
  });
  if (messages.at(-1)?.role !== 'assistant') text += `${ASSISTANT}\n`;
  warnings.push({
    type: 'compatibility',
    feature: 'messages',
    details:
      'This model has no chat template: the system prompt and messages were joined as a "user:" / "assistant:" transcript, with "\\nuser:" as a stop sequence.',
  });
  return { text, format: 'transcript', stop: [`\n${USER}`] };
}

/** The messages through the tokenizer's chat template; undefined when it has none. */
function renderChat(messages: readonly ChatMessage[], tokenizer: TextTokenizer | undefined): PromptText | undefined {
  if (typeof tokenizer?.applyChatTemplate !== 'function') return undefined;
  let list = messages;
  // an empty last assistant message opens the turn like no message (nothing to continue)
  if (list.at(-1)?.role === 'assistant' && list.at(-1)?.content === '') list = list.slice(0, -1);
  const prefill = list.at(-1)?.role === 'assistant';
  const options: ChatTemplateOptions = prefill ? { continueFinalMessage: true } : { addGenerationPrompt: true };
  try {
    const text = tokenizer.applyChatTemplate(list, options);
    return { text, format: 'chat-template', stop: [], chat: { messages: list, options } };
  } catch (error) {
    if (isDynamoError(error, DynamoErrorCode.UNSUPPORTED)) return undefined; // no template: a transcript
    throw error;
  }
}
