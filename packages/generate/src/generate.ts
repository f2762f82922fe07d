import { now } from '@dynamojs/core';
import { resolveOptions } from './options.js';
import { Session } from './session.js';
import type { GenerateEvent, GenerateOptions, GenerateResult } from './types.js';

/**
 * Generates a continuation and resolves with the text, the tokens, the per-pass record and
 * statistics. Invalid options reject with DYNAMO_INVALID_OPTION (naming the option); a sampler
 * returning an invalid emission rejects with DYNAMO_SAMPLER. An abort through `signal` does not
 * reject: the result so far resolves with `aborted: true` and `finishReason: 'aborted'`.
 */
export async function generate(options: GenerateOptions): Promise<GenerateResult> {
  const start = now();
  const session = new Session(resolveOptions(options), start);
  while (await session.step()) {
    // one forward pass per iteration
  }
  return session.result();
}

/** An async iterable of generation events that can also become a web ReadableStream. */
export interface GenerationStream extends AsyncIterable<GenerateEvent> {
  /** The same events as a web `ReadableStream` (cancel() stops the generation). */
  toReadableStream(): ReadableStream<GenerateEvent>;
}

async function* events(options: GenerateOptions): AsyncGenerator<GenerateEvent, void, undefined> {
  const start = now();
  const session = new Session(resolveOptions(options), start);
  session.streaming = true;
  let step = 0;
  try {
    let more = true;
    while (more) {
      more = await session.step();
      const tokens = session.stepTokens;
      if (tokens.length > 0) yield { type: 'tokens', tokens: Array.from(tokens), step };
      if (session.stepText.length > 0) yield { type: 'text', text: session.stepText };
      step++;
    }
    yield { type: 'done', result: session.result() };
  } finally {
    // The consumer stopped early (break / return / cancel): free the cache.
    if (!session.finished) session.cancel();
  }
}

/**
 * Generates as a stream of events: `tokens` (what each forward pass emitted, with its step),
 * `text` (deltas, released as soon as they are complete UTF-8 and can no longer be part of a stop
 * string) and, last, `done` with the full result. Use with `for await`, or
 * `.toReadableStream()`. Options are validated when iteration starts.
 */
export function stream(options: GenerateOptions): GenerationStream {
  return {
    [Symbol.asyncIterator]: () => events(options),
    toReadableStream: () => toReadableStream(events(options)),
  };
}

/** Wraps an async iterable as a web `ReadableStream` (pull-based; cancel() ends the iterator). */
export function toReadableStream<T>(iterable: AsyncIterable<T>): ReadableStream<T> {
  const iterator = iterable[Symbol.asyncIterator]();
  return new ReadableStream<T>({
    async pull(controller) {
      try {
        const { value, done } = await iterator.next();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        controller.error(error);
      }
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}
