/**
 * @dynamojs/model-tiny-assistant — a 2-layer assistant for @dynamojs/model-tiny, shipped as files.
 *
 * `assistantModelUrl()` gives the URL of the model folder (browsers, bundlers that understand
 * `new URL(..., import.meta.url)`); `assistantModelDir()` its path on disk (Node).
 */

/** URL of the folder holding config.json, tokenizer.json and onnx/model.onnx. */
export function assistantModelUrl(): URL {
  return new URL('../model/', import.meta.url);
}

/** Path of the assistant's folder on disk (Node only: needs a file: URL). */
export function assistantModelDir(): string {
  const url = assistantModelUrl();
  if (url.protocol !== 'file:') {
    throw new Error(
      `@dynamojs/model-tiny-assistant: assistantModelDir() needs a file: URL, got ${url.protocol} — use assistantModelUrl() in browsers.`,
    );
  }
  return decodeURIComponent(url.pathname.replace(/^\/([A-Za-z]:)/, '$1'));
}
