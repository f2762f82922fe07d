import {
  type ChainSampler,
  checkInteger,
  DynamoError,
  DynamoErrorCode,
  isChainSampler,
  type MultiTokenModel,
} from '@dynamojs/core';
import { ChainStrategy } from '../strategies/chainStrategy.js';
import type { DecodingMethod } from './decodingMethod.js';

/** A chain sampler drafts with the model's draft head: it must have one, and hidden states. */
function checkDraftHead(model: MultiTokenModel, samplerName: string): void {
  const head = model.draftHead;
  if (head === undefined || model.metadata.hiddenSize === undefined) {
    throw new DynamoError(
      DynamoErrorCode.UNSUPPORTED,
      `Sampler "${samplerName}" continues each pass with a draft head, and the model "${model.metadata.name}" ` +
        (head === undefined
          ? 'has none (load a model folder that ships one with its draft head, e.g. loadModel(dir, { draftHead: true }) from @dynamojs/onnx)'
          : 'returns no hidden states (metadata.hiddenSize)') +
        ". Use the DynaMo heads' sampler (dynamo({ tables })) or mode 'ar' with this model.",
      { details: { option: 'sampler', expected: 'a model with a draft head', actual: model.metadata.name } },
    );
  }
  if (
    typeof head !== 'object' ||
    head === null ||
    typeof (head as { step?: unknown }).step !== 'function' ||
    head.hiddenSize !== model.metadata.hiddenSize ||
    head.vocabSize !== model.metadata.vocabSize
  ) {
    throw new DynamoError(
      DynamoErrorCode.MODEL_FORMAT,
      `The draft head of "${model.metadata.name}" does not fit the model: hidden size ${String(head.hiddenSize)} / ` +
        `vocabulary ${String(head.vocabSize)}, the model's ${String(model.metadata.hiddenSize)} / ${model.metadata.vocabSize}.`,
      {
        details: {
          expected: `${String(model.metadata.hiddenSize)} / ${model.metadata.vocabSize}`,
          actual: `${String(head.hiddenSize)} / ${String(head.vocabSize)}`,
        },
      },
    );
  }
}

/**
 * `'dynamo'` with a {@link ChainSampler} and the model's draft head: the base graph draws the first
 * token exactly, then the draft head, fed each drawn token, continues the chain while the sampler
 * extends it. Reports `stats.draftHead`.
 */
export const dynamoChainMethod: DecodingMethod = {
  name: 'dynamo-chain',
  mode: 'dynamo',
  accepts: (sampler) => isChainSampler(sampler),
  impliedBy: (sampler) => isChainSampler(sampler),
  check(options) {
    const sampler = options.sampler as ChainSampler;
    checkInteger('sampler.chainLength', sampler.chainLength, { min: 1 });
    checkDraftHead(options.model, sampler.name);
  },
  createStrategy(ctx) {
    const head = ctx.opts.model.draftHead;
    if (head === undefined) {
      // check() saw one; a model object could still lose its head afterwards
      throw new DynamoError(
        DynamoErrorCode.UNSUPPORTED,
        `The model "${ctx.opts.model.metadata.name}" has no draft head.`,
      );
    }
    return new ChainStrategy(ctx, ctx.opts.sampler as ChainSampler, head);
  },
};
