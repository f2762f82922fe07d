import { arMethod } from './ar.js';
import { dynamoChainMethod } from './dynamoChain.js';
import { dynamoHeadsMethod } from './dynamoHeads.js';
import { verifiedMethod } from './verified.js';

/**
 * The built-in decoding methods: the registry starts with them (no import side effect, so bundlers
 * may tree-shake freely). Lookups try the latest registration first, so `dynamo-chain` (chain
 * samplers only) comes after `dynamo-heads`.
 */
export const BUILTIN_METHODS = [arMethod, dynamoHeadsMethod, dynamoChainMethod, verifiedMethod] as const;
