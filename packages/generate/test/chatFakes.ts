import { type ChatMessage, type ChatTemplateOptions, DynamoError, DynamoErrorCode } from '@dynamojs/core';
import { FakeTokenizer } from './fakes.js';

const TAG: Record<string, string> = { system: 'z', user: 'x', assistant: 'y' };

/**
 * A fake tokenizer with a chat template: each turn is its role's tag (z/x/y), the content and
 * "." — a special token here (decoded as '' with skipSpecialTokens), the template's end of turn.
 */
export class ChatTokenizer extends FakeTokenizer {
  readonly rendered: { messages: readonly ChatMessage[]; options: ChatTemplateOptions }[] = [];

  applyChatTemplate(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): string {
    this.rendered.push({ messages, options });
    for (const m of messages) {
      if (TAG[m.role] === undefined) {
        throw new DynamoError(DynamoErrorCode.INVALID_OPTION, `The chat template failed: no ${m.role} role`);
      }
    }
    let text = messages.map((m) => `${TAG[m.role]}${m.content as string}.`).join('');
    if (options.continueFinalMessage) text = text.slice(0, -1);
    return options.addGenerationPrompt ? `${text}y` : text;
  }

  override decode(ids: ArrayLike<number>, options: { skipSpecialTokens?: boolean } = {}): string {
    const kept = Array.from(ids).filter((id) => !(id === 7 && (options.skipSpecialTokens ?? true)));
    return super.decode(kept, options);
  }
}
