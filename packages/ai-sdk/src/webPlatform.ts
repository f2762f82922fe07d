import { NoSuchModelError } from '@ai-sdk/provider';
import { DynamoError, DynamoErrorCode } from '@dynamojs/core';
import { loadModel, urlSource } from '@dynamojs/onnx/web';
import { MODEL_TINY, type Platform } from './platform.js';

function pageUrl(): string | undefined {
  return (globalThis as { location?: { href?: string } }).location?.href;
}

/** Browsers (and other web runtimes): model folders served over http(s), through onnxruntime-web (webgpu, wasm). */
export const webPlatform: Platform = {
  name: 'web',
  builtin(modelId) {
    if (modelId !== MODEL_TINY) return undefined;
    throw new NoSuchModelError({
      modelId,
      modelType: 'languageModel',
      message:
        `In the browser '${MODEL_TINY}' has no files to load by itself: serve the model/ folder of @dynamojs/model-tiny ` +
        `with your site and use its URL, e.g. dynamojs('/model/'), or createDynamojs({ models: { '${MODEL_TINY}': '/model/' } }).`,
    });
  },
  isLocation: (modelId) => modelId.includes('/') || /^(?:https?|blob|data):/i.test(modelId),
  source(location) {
    let url: URL;
    try {
      url = new URL(location, pageUrl());
    } catch (cause) {
      throw new DynamoError(
        DynamoErrorCode.MODEL_LOAD,
        `"${location}" is not a URL (relative URLs need a page to resolve against); pass an absolute http(s) URL.`,
        { details: { file: location }, cause },
      );
    }
    return urlSource(url);
  },
  loadModel: (source, options) => loadModel(source, options),
};
