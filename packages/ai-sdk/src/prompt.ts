import { UnsupportedFunctionalityError } from '@ai-sdk/provider';
import type { CallWarning, PromptMessage } from './specTypes.js';

/** The text the model continues, and what the conversion added. */
export interface PromptText {
  readonly text: string;
  /** `'raw'`: one user message, continued as it is; `'transcript'`: messages joined as a transcript. */
  readonly format: 'raw' | 'transcript';
  /** Stop strings the format needs (the transcript's next `user:` turn). */
  readonly stop: readonly string[];
}

const USER = 'user:';
const ASSISTANT = 'assistant:';

/**
 * DynaMo models are base language models: they continue text and have no chat template. A prompt
 * of one user message (what `generateText({ prompt })` sends) is continued as it is. Anything else
 * (a system prompt, several messages) becomes a plain transcript — the system text, then
 * `user:` / `assistant:` turns, ending with `assistant:` (or continuing a last assistant message)
 * — as the AI SDK's own completion-style providers write it, with `\nuser:` as a stop string;
 * a `compatibility` warning says so.
 *
 * Files (images, audio, documents) and tool calls/results cannot be represented:
 * UnsupportedFunctionalityError. Reasoning and custom parts of earlier assistant turns are left
 * out with an `unsupported` warning.
 */
export function promptText(prompt: readonly PromptMessage[], warnings: CallWarning[]): PromptText {
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

  const only = prompt.length === 1 ? prompt[0] : undefined;
  if (only?.role === 'user') {
    const text = textOf('user', only.content as readonly { type: string; text?: string }[]);
    warnSkipped(skipped, warnings);
    return { text, format: 'raw', stop: [] };
  }

  let text = '';
  prompt.forEach((message, i) => {
    switch (message.role) {
      case 'system':
        text += `${message.content}\n\n`;
        break;
      case 'user':
        text += `${USER}\n${textOf('user', message.content as readonly { type: string; text?: string }[])}\n\n`;
        break;
      case 'assistant': {
        const body = textOf('assistant', message.content as readonly { type: string; text?: string }[]);
        // a last assistant message is continued (prefill), earlier ones are closed
        text += i === prompt.length - 1 ? `${ASSISTANT}\n${body}` : `${ASSISTANT}\n${body}\n\n`;
        break;
      }
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
  if (prompt.at(-1)?.role !== 'assistant') text += `${ASSISTANT}\n`;
  warnSkipped(skipped, warnings);
  warnings.push({
    type: 'compatibility',
    feature: 'messages',
    details:
      'DynaMo.js models have no chat template: the system prompt and messages were joined as a "user:" / "assistant:" transcript, with "\\nuser:" as a stop sequence.',
  });
  return { text, format: 'transcript', stop: [`\n${USER}`] };
}

function warnSkipped(skipped: ReadonlySet<string>, warnings: CallWarning[]): void {
  for (const what of skipped) {
    warnings.push({ type: 'unsupported', feature: what, details: `${what} were left out of the prompt.` });
  }
}
