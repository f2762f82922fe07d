import type { Env, InferenceSession, Tensor, TensorConstructor } from 'onnxruntime-common';

/**
 * The parts of an ONNX Runtime JS package the adapter uses: `onnxruntime-node`, `onnxruntime-web`
 * (or one of its sub-builds) all fit. The shared logic is written against this, and each entry
 * (`@dynamojs/onnx/node`, `@dynamojs/onnx/web`) injects its runtime.
 */
export interface OrtRuntime {
  readonly InferenceSession: {
    create(buffer: Uint8Array, options?: InferenceSession.SessionOptions): Promise<InferenceSession>;
  };
  readonly Tensor: TensorConstructor;
  readonly env?: Env;
}

export type OrtSession = InferenceSession;
export type OrtTensor = Tensor;
export type SessionOptions = InferenceSession.SessionOptions;
export type ValueMetadata = InferenceSession.ValueMetadata;
