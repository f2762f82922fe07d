import { arMethod } from './ar.js';
import { dynamoChainMethod } from './dynamoChain.js';
import { dynamoHeadsMethod } from './dynamoHeads.js';
import { registerDecodingMethod } from './registry.js';
import { verifiedMethod } from './verified.js';

/**
 * The built-in decoding methods, registered once when @dynamojs/generate loads. Lookups try the
 * latest registration first, so `dynamo-chain` (chain samplers only) comes after `dynamo-heads`.
 */
export const BUILTIN_METHODS = [arMethod, dynamoHeadsMethod, dynamoChainMethod, verifiedMethod] as const;

for (const method of BUILTIN_METHODS) registerDecodingMethod(method, { replace: true });
