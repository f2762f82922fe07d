// The fakes shared with @dynamojs/generate's tests.
export * from '../../generate/test/fakes.js';

/** A stdout/stderr stand-in that records what the CLI writes. */
export function sink(isTTY = false) {
  const chunks: string[] = [];
  return {
    isTTY,
    write(chunk: string) {
      chunks.push(chunk);
      return true;
    },
    get text() {
      return chunks.join('');
    },
  };
}
