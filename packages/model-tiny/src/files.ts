/** File names inside the model folder (docs/model-format.md). */
export const modelFiles = {
  manifest: 'dynamo.json',
  tokenizer: 'tokenizer.json',
  model: 'model.onnx',
  modelQ8: 'model_q8.onnx',
  ngrams: 'ngrams.bin',
  baseDir: 'base',
  baseModel: 'base/onnx/model.onnx',
  baseConfig: 'base/config.json',
} as const;

export type ModelFileKey = keyof typeof modelFiles;
