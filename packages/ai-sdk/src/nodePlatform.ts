import { fileURLToPath } from 'node:url';
import { NoSuchModelError } from '@ai-sdk/provider';
import { folderSource, loadModel, urlSource } from '@dynamojs/onnx/node';
import { MODEL_TINY, type Platform } from './platform.js';

/** The reference model's folder, from @dynamojs/model-tiny (an optional peer dependency). */
async function modelTinyDir(): Promise<string> {
  let tiny: { modelDir(): string };
  try {
    tiny = await import('@dynamojs/model-tiny');
  } catch (cause) {
    throw new NoSuchModelError({
      modelId: MODEL_TINY,
      modelType: 'languageModel',
      message:
        `'${MODEL_TINY}' is the reference model of the package @dynamojs/model-tiny, which could not be loaded ` +
        `(${(cause as Error)?.message ?? String(cause)}). Install it: npm install @dynamojs/model-tiny`,
    });
  }
  return tiny.modelDir();
}

/** Node: folders on disk and http(s) URLs, through onnxruntime-node (cpu, cuda, webgpu). */
export const nodePlatform: Platform = {
  name: 'node',
  builtin: (modelId) => (modelId === MODEL_TINY ? modelTinyDir : undefined),
  isLocation: (modelId) => /[\\/]/.test(modelId) || /^(?:file|https?):/i.test(modelId),
  source(location) {
    if (/^https?:\/\//i.test(location)) return urlSource(location);
    return folderSource(/^file:/i.test(location) ? fileURLToPath(location) : location);
  },
  loadModel: (source, options) => loadModel(source, options),
};
