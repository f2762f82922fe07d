/** File names inside the model folder (docs/model-format.md). */
export const modelFiles = {
  manifest: 'dynamo.json',
  tokenizer: 'tokenizer.json',
  model: 'model.onnx',
  /** Head 0 in fp32 (equal to model.onnx's), the extra head layers in 8 bits (variant "mixed"). */
  modelMixed: 'model_mixed.onnx',
  /** The weights model.onnx and model_mixed.onnx share (ONNX external data both point into). */
  modelSharedWeights: 'model_shared.onnx_data',
  modelQ8: 'model_q8.onnx',
  ngrams: 'ngrams.bin',
  /** The sequential draft head (reads the base-only graph's hidden states; weights shared with model.onnx). */
  draftHead: 'draft_head.onnx',
  baseDir: 'base',
  baseModel: 'base/onnx/model.onnx',
  baseConfig: 'base/config.json',
} as const;

export type ModelFileKey = keyof typeof modelFiles;
