import { SamplingStrategy } from '../strategies/samplingStrategy.js';
import type { DecodingMethod } from './decodingMethod.js';

/**
 * `'ar'`: one token per forward pass from head 0 (the base model) — the baseline. The extra heads
 * are not computed.
 */
export const arMethod: DecodingMethod = {
  name: 'ar',
  mode: 'ar',
  createStrategy: (ctx) => new SamplingStrategy(ctx, 1),
};
