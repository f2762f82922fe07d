/**
 * One step of a {@link DraftHead}: the logits of the token after the one it was given, and the
 * head's estimate of the base model's hidden state at that token (the input of the next step).
 * Both are owned by the head: valid until its next `step` or `dispose`; copy to keep them.
 */
export interface DraftHeadStep {
  /** Raw logits of the next token (length vocabSize). */
  readonly logits: Float32Array;
  /** The estimated final hidden state after the given token (length hiddenSize). */
  readonly hidden: Float32Array;
}

/**
 * A sequential draft head (EAGLE / Hydra style): a small network that continues the base model by
 * one token at a time without running it. From the base model's final hidden state at a position
 * (`ForwardResult.hidden`) and the token drawn there, it predicts the next token's logits and the
 * hidden state after that token, which feeds its next step — so each drafted token is conditioned
 * on the tokens drawn before it, unlike the DynaMo heads, which predict t+2 and t+3 from the same
 * hidden state without seeing t+1.
 *
 * Implemented by `@dynamojs/onnx` (a model folder's `draft-head` graph, `MultiTokenModel.draftHead`);
 * any object with this shape works (tests use pure-JS heads).
 */
export interface DraftHead {
  /** Length of the hidden states it reads and returns (the base model's hidden size). */
  readonly hiddenSize: number;
  readonly vocabSize: number;
  /**
   * Runs one step. `hidden` is the base's final hidden state at a position (or a previous step's
   * `hidden`), `token` the token drawn at the position after it. Errors: DYNAMO_INVALID_OPTION
   * (wrong hidden length), DYNAMO_TOKEN_OUT_OF_RANGE, DYNAMO_ABORTED, DYNAMO_DISPOSED,
   * DYNAMO_RUNTIME.
   */
  step(hidden: Float32Array, token: number, signal?: AbortSignal): Promise<DraftHeadStep>;
  /** Releases the runtime session. */
  dispose(): Promise<void>;
}
