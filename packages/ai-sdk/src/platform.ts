import type { MultiTokenModel } from '@dynamojs/core';
import type { LoadOptions, ModelSource } from '@dynamojs/onnx';

/** What differs between the Node entry and the browser entry: where files come from, which runtime. */
export interface Platform {
  readonly name: 'node' | 'web';
  /**
   * A built-in model id (`'model-tiny'`): a function that finds its folder (rejecting with
   * NoSuchModelError when it cannot), else `undefined`. May throw NoSuchModelError at once when the
   * id is known but unusable here.
   */
  builtin(modelId: string): (() => Promise<string>) | undefined;
  /** Whether a model id names a folder or URL (rather than a model name). */
  isLocation(modelId: string): boolean;
  /** The files of a model folder or base URL. */
  source(location: string): ModelSource;
  /** `@dynamojs/onnx/node` or `@dynamojs/onnx/web`'s `loadModel`. */
  loadModel(source: ModelSource, options: LoadOptions): Promise<MultiTokenModel>;
}

/** The bundled reference model's id. */
export const MODEL_TINY = 'model-tiny';
