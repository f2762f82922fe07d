import { invalidOption } from '@dynamojs/core';
import { SamplingStrategy } from '../strategies/samplingStrategy.js';
import type { DecodingMethod } from './decodingMethod.js';

/**
 * `'dynamo'` with the paper's extra heads: one sampler call at the last position of each pass sees
 * every head the sampler declares (`sampler.heads`, at most the model's) and emits up to that many
 * tokens, fed back as the next pass's chunk. Lossy by design.
 */
export const dynamoHeadsMethod: DecodingMethod = {
  name: 'dynamo-heads',
  mode: 'dynamo',
  impliedBy: (sampler) => (sampler.heads ?? 1) > 1,
  check(_options, given) {
    if (given.sampler === undefined) {
      invalidOption(
        'sampler',
        "given in mode 'dynamo' (a multi-token sampler such as dynamo({ tables }) from @dynamojs/samplers)",
      );
    }
  },
  createStrategy(ctx) {
    const declared = ctx.opts.sampler.heads ?? 1;
    return new SamplingStrategy(ctx, Math.min(ctx.opts.model.metadata.heads, declared));
  },
};
