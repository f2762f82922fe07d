import { VerifyStrategy } from '../strategies/verify/verifyStrategy.js';
import type { DecodingMethod } from './decodingMethod.js';

/**
 * `'verified'`: lossless draft-and-verify — the exact next token from head 0, a chain or tree of
 * drafted tokens after it (`options.drafter`), checked by the base head in the next pass
 * (`options.verifier`), the cache keeping only the accepted path. Reports `stats.acceptance`.
 */
export const verifiedMethod: DecodingMethod = {
  name: 'verified',
  mode: 'verified',
  createStrategy: (ctx) => new VerifyStrategy(ctx, ctx.opts.verifier, ctx.opts.drafter),
};
