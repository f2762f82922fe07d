import {
  applyTokenMask,
  checkEnum,
  checkInteger,
  checkNumber,
  type Draft,
  type Drafter,
  type DraftHead,
  DynamoError,
  DynamoErrorCode,
  type StepView,
} from '@dynamojs/core';
import { argmax } from '../classic/argmax.js';
import { checkLogits } from '../classic/checkLogits.js';
import { type ClassicProcessorOptions, classicProcessors } from '../classic/classicProcessors.js';
import { multinomial } from '../classic/multinomial.js';
import { MutableProcessorContext } from '../classic/processorPipeline.js';
import { softmax } from '../classic/softmax.js';
import { checkNextToken } from './checkNextToken.js';
import { DraftHeadRollout } from './draftHeadRollout.js';

export interface DraftHeadDrafterOptions extends ClassicProcessorOptions {
  /** The model's draft head (`model.draftHead`, loaded with `draftHead: true`). */
  readonly head: DraftHead;
  /** Tokens drafted after `next`, integer in [1, 16]; also ≤ view.maxTokens − 1. Default 3. */
  readonly depth?: number;
  /**
   * 'sample' (default): each token drawn from the draft head's processed distribution, which the
   * draft reports, for speculative sampling (`verification: 'speculative'`: exactly `ar`'s
   * distribution, accepting a draft with probability min(1, p/q)). 'argmax': its most likely
   * token, a deterministic draft (greedy verification, or a point mass).
   */
  readonly draw?: 'sample' | 'argmax';
  readonly name?: string;
}

/**
 * Drafts a chain for verified (lossless) decoding with the model's sequential draft head (EAGLE
 * style): from the base's final hidden state at the verified position (`view.hidden()`) and the
 * token `next`, the head gives the next token's logits and its next hidden state; each drafted
 * token feeds the following step. Its processors (temperature, top-k, …, the repetition penalty
 * over the history and the chain so far) shape the draft distribution q it reports; verification
 * keeps the output exact whatever q is — the closer q is to the base, the more drafts it accepts.
 * Needs a model with hidden states (`metadata.hiddenSize`): DYNAMO_UNSUPPORTED otherwise.
 */
export class DraftHeadDrafter implements Drafter {
  readonly name: string;
  readonly heads = 1;
  private readonly rollout: DraftHeadRollout;
  private readonly depth: number;
  private readonly draw: 'sample' | 'argmax';
  private readonly processors;
  private readonly context = new MutableProcessorContext();
  private readonly tokens: Int32Array;
  private readonly chain: Int32Array;
  /** `[next, d_1, …, d_i]` (what the processors see as pending), one view per length. */
  private readonly chainViews: Int32Array[] = [];
  private readonly q: Float32Array[] = [];
  private readonly p: Float64Array;
  /** The returned drafts, one per chain length (no allocation per pass). */
  private readonly sampled: Draft[] = [];
  private readonly points: Draft[] = [];

  constructor(options: DraftHeadDrafterOptions) {
    const { head, depth, draw, name, ...processing } = options;
    if (head === null || typeof head !== 'object' || typeof (head as DraftHead).step !== 'function') {
      throw new DynamoError(
        DynamoErrorCode.INVALID_OPTION,
        'draftHeadDrafter needs `head`: a DraftHead (model.draftHead).',
        {
          details: { option: 'head', expected: 'a DraftHead', actual: head === null ? 'null' : typeof head },
        },
      );
    }
    checkInteger('head.hiddenSize', head.hiddenSize, { min: 1 });
    checkInteger('head.vocabSize', head.vocabSize, { min: 1 });
    this.depth = depth === undefined ? 3 : checkInteger('depth', depth, { min: 1, max: 16 });
    this.draw = draw === undefined ? 'sample' : checkEnum('draw', draw, ['sample', 'argmax'] as const);
    if (processing.temperature !== undefined)
      checkNumber('temperature', processing.temperature, { min: 0, minExclusive: true });
    this.processors = classicProcessors(processing);
    this.name = name ?? `draft-head(${this.draw}, depth ${this.depth})`;
    this.rollout = new DraftHeadRollout(head);
    this.tokens = new Int32Array(this.depth);
    this.chain = new Int32Array(this.depth + 1);
    for (let i = 0; i <= this.depth; i++) this.chainViews.push(this.chain.subarray(0, i));
    this.p = new Float64Array(this.depth);
    for (let i = 0; i < this.depth; i++) this.q.push(new Float32Array(head.vocabSize));
    const probability = (i: number) => this.p[i] as number;
    const distribution = (i: number) => this.q[i] as Float32Array;
    for (let n = 0; n <= this.depth; n++) {
      const tokens = this.tokens.subarray(0, n);
      this.points.push({ tokens });
      this.sampled.push({ tokens, probability, distribution });
    }
  }

  async draft(view: StepView, next: number): Promise<Draft> {
    checkNextToken(next, view.vocabSize);
    const n = Math.min(this.depth, view.maxTokens - 1);
    const hidden = view.hidden?.();
    if (hidden === undefined) {
      throw new DynamoError(
        DynamoErrorCode.UNSUPPORTED,
        `Drafter "${this.name}" continues the base's hidden state, and this model returns none (metadata.hiddenSize).`,
      );
    }
    const headVocabulary = this.rollout.head.vocabSize;
    if (view.vocabSize !== headVocabulary) {
      throw new DynamoError(
        DynamoErrorCode.MODEL_FORMAT,
        `Drafter "${this.name}": the draft head's vocabulary (${headVocabulary}) is not the model's (${view.vocabSize}).`,
        { details: { expected: view.vocabSize, actual: headVocabulary } },
      );
    }
    if (n <= 0) return this.points[0] as Draft;
    this.rollout.start(hidden);
    const chain = this.chain;
    chain[0] = next;
    let token = next;
    // With a constraint (view.constraint, standing after `next`): q is masked by the grammar after
    // the chain so far, so every drafted token is grammar-valid (and a forced one is drafted with
    // q = 1); the chain ends where the grammar admits nothing.
    const grammar = view.constraint;
    let drafted = 0;
    try {
      for (let i = 0; i < n; i++) {
        const logits = await this.rollout.step(token, view.signal);
        const q = this.q[i] as Float32Array;
        checkLogits(logits, 0, view.vocabSize);
        const context = this.context.set(0, view.history, this.chainViews[i + 1] as Int32Array);
        if (grammar === undefined) {
          // the repetition penalty (and any custom processor) sees the history and the chain so far
          this.processors.apply(logits, context, q);
        } else {
          q.set(logits);
          applyTokenMask(q, grammar.mask());
          this.processors.apply(q, context, q);
          if (!hasFiniteLogit(q)) break;
        }
        softmax(q, q);
        token = this.draw === 'argmax' ? argmax(q) : multinomial(q, view.rng);
        if (grammar !== undefined && !grammar.push(token)) break;
        this.tokens[i] = token;
        this.p[i] = q[token] as number;
        chain[i + 1] = token;
        drafted++;
      }
    } finally {
      if (grammar !== undefined) grammar.pop(grammar.depth);
    }
    return (this.draw === 'argmax' ? this.points[drafted] : this.sampled[drafted]) as Draft;
  }
}

/**
 * `draftHeadDrafter({ head: model.draftHead, temperature: 0.7, topK: 50 })`: chains from the model's
 * draft head for `verified` mode (with `verification: 'speculative'` for sampling). Options are
 * validated now (DYNAMO_INVALID_OPTION).
 */
export function draftHeadDrafter(options: DraftHeadDrafterOptions): DraftHeadDrafter {
  return new DraftHeadDrafter(options);
}

/** Whether any logit is finite (a grammar mask with a top-k cut can leave none). */
function hasFiniteLogit(logits: Float32Array): boolean {
  for (let i = 0; i < logits.length; i++) if ((logits[i] as number) > Number.NEGATIVE_INFINITY) return true;
  return false;
}
