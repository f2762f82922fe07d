import {
  checkTokenIds,
  type DraftHead,
  type DraftHeadStep,
  DynamoError,
  DynamoErrorCode,
  throwIfAborted,
} from '@dynamojs/core';
import { errorMessage } from './devices.js';
import type { OrtRuntime, OrtSession, OrtTensor, ValueMetadata } from './runtime.js';

const INPUTS = ['hidden_states', 'input_ids'] as const;
const OUTPUTS = ['logits', 'next_hidden_states'] as const;

/**
 * Checks a draft-head graph's inputs and outputs (docs/model-format.md, "Draft head"):
 * `hidden_states` float32 [batch, hidden], `input_ids` int64 [batch] → `logits` float32
 * [batch, vocab], `next_hidden_states` float32 [batch, hidden]. DYNAMO_MODEL_FORMAT naming the
 * file and tensor otherwise.
 */
export function inspectDraftHeadGraph(
  session: Pick<OrtSession, 'inputNames' | 'outputNames'> & {
    inputMetadata?: readonly ValueMetadata[];
    outputMetadata?: readonly ValueMetadata[];
  },
  hiddenSize: number,
  vocabSize: number,
  file: string,
): void {
  const expected: Record<string, { type: string; shape: string; last?: number }> = {
    hidden_states: { type: 'float32', shape: `[batch, ${hiddenSize}]`, last: hiddenSize },
    input_ids: { type: 'int64', shape: '[batch]' },
    logits: { type: 'float32', shape: `[batch, ${vocabSize}]`, last: vocabSize },
    next_hidden_states: { type: 'float32', shape: `[batch, ${hiddenSize}]`, last: hiddenSize },
  };
  const check = (names: readonly string[], have: readonly string[], meta: readonly ValueMetadata[] | undefined) => {
    for (const name of names) {
      const e = expected[name] as { type: string; shape: string; last?: number };
      if (!have.includes(name)) {
        throw new DynamoError(
          DynamoErrorCode.MODEL_FORMAT,
          `${file}: the draft head graph has no "${name}" (expected ${e.shape} ${e.type}); it has ${have.join(', ')}.`,
          { details: { file, tensor: name, expected: `${e.shape} ${e.type}`, actual: 'missing' } },
        );
      }
      const m = meta?.find((v) => v.name === name);
      if (!m?.isTensor) continue;
      const last = m.shape[m.shape.length - 1];
      const rank = e.last === undefined ? 1 : 2;
      if (
        m.type !== e.type ||
        m.shape.length !== rank ||
        (e.last !== undefined && typeof last === 'number' && last !== e.last)
      ) {
        throw new DynamoError(
          DynamoErrorCode.MODEL_FORMAT,
          `${file}: "${name}" is [${m.shape.join(', ')}] ${m.type}, expected ${e.shape} ${e.type}.`,
          {
            details: {
              file,
              tensor: name,
              expected: `${e.shape} ${e.type}`,
              actual: `[${m.shape.join(', ')}] ${m.type}`,
            },
          },
        );
      }
    }
  };
  check(INPUTS, session.inputNames, session.inputMetadata);
  check(OUTPUTS, session.outputNames, session.outputMetadata);
}

/** Core's {@link DraftHead} over an ONNX Runtime session of a model folder's `draft-head` graph. */
export class OnnxDraftHead implements DraftHead {
  readonly hiddenSize: number;
  readonly vocabSize: number;
  readonly file: string;
  #session: OrtSession | null;
  readonly #ids = new BigInt64Array(1);
  readonly #hidden: Float32Array;
  /** The two input tensors, over #hidden and #ids (reused every step: no allocation per token). */
  readonly #feeds: Record<string, OrtTensor>;
  /** True while a step runs on the shared feeds; a concurrent step (another generation) gets its own. */
  #busy = false;
  readonly #ort: OrtRuntime;

  constructor(ort: OrtRuntime, session: OrtSession, hiddenSize: number, vocabSize: number, file: string) {
    this.#ort = ort;
    this.#session = session;
    this.hiddenSize = hiddenSize;
    this.vocabSize = vocabSize;
    this.file = file;
    this.#hidden = new Float32Array(hiddenSize);
    this.#feeds = {
      hidden_states: new ort.Tensor('float32', this.#hidden, [1, hiddenSize]),
      input_ids: new ort.Tensor('int64', this.#ids, [1]),
    };
  }

  get disposed(): boolean {
    return this.#session === null;
  }

  async step(hidden: Float32Array, token: number, signal?: AbortSignal): Promise<DraftHeadStep> {
    const session = this.#session;
    if (!session) throw new DynamoError(DynamoErrorCode.DISPOSED, `The draft head ${this.file} has been disposed.`);
    if (!(hidden instanceof Float32Array) || hidden.length !== this.hiddenSize) {
      throw new DynamoError(
        DynamoErrorCode.INVALID_OPTION,
        `The draft head needs a hidden state of length ${this.hiddenSize}, got ${
          hidden instanceof Float32Array ? `length ${hidden.length}` : String(hidden)
        }.`,
        { details: { option: 'hidden', expected: this.hiddenSize, actual: (hidden as { length?: number })?.length } },
      );
    }
    checkTokenIds([token], this.vocabSize);
    throwIfAborted(signal, 'draft head step');
    // The head is stateless, so steps of concurrent generations (a server's requests sharing one
    // model) may overlap: the first uses the preallocated feeds, an overlapping one its own tensors.
    const shared = !this.#busy;
    let feeds = this.#feeds;
    if (shared) {
      this.#busy = true;
      // copies: the caller may pass the previous step's output, which the next run replaces
      this.#hidden.set(hidden);
      this.#ids[0] = BigInt(token);
    } else {
      feeds = {
        hidden_states: new this.#ort.Tensor('float32', Float32Array.from(hidden), [1, this.hiddenSize]),
        input_ids: new this.#ort.Tensor('int64', BigInt64Array.of(BigInt(token)), [1]),
      };
    }
    try {
      let out: Record<string, OrtTensor>;
      try {
        out = (await session.run(feeds)) as Record<string, OrtTensor>;
      } catch (cause) {
        throw new DynamoError(
          DynamoErrorCode.RUNTIME,
          `ONNX Runtime failed running ${this.file}: ${errorMessage(cause)}`,
          {
            details: { file: this.file },
            cause,
          },
        );
      }
      const logits = (out.logits as OrtTensor).data as Float32Array;
      const next = (out.next_hidden_states as OrtTensor).data as Float32Array;
      if (logits.length !== this.vocabSize || next.length !== this.hiddenSize) {
        throw new DynamoError(
          DynamoErrorCode.MODEL_FORMAT,
          `${this.file}: one step returned ${logits.length} logits and a hidden state of ${next.length}, expected ` +
            `${this.vocabSize} and ${this.hiddenSize}.`,
          {
            details: {
              file: this.file,
              expected: `${this.vocabSize} / ${this.hiddenSize}`,
              actual: `${logits.length} / ${next.length}`,
            },
          },
        );
      }
      return { logits, hidden: next };
    } finally {
      if (shared) this.#busy = false;
      else for (const t of Object.values(feeds)) t.dispose();
    }
  }

  async dispose(): Promise<void> {
    const session = this.#session;
    if (!session) return;
    this.#session = null;
    for (const t of Object.values(this.#feeds)) t.dispose();
    await session.release();
  }
}
