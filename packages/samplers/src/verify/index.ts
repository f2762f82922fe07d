/**
 * Verification of drafted tokens against the base head (greedy match, speculative sampling).
 */
export { GreedyVerifier, greedyVerify } from './greedyVerify.js';
export type { SpeculativeVerifyOptions } from './speculativeVerify.js';
export { SpeculativeVerifier, speculativeVerify } from './speculativeVerify.js';
export type { BaseRows, VerifyOptions, VerifyResult } from './verifyCommon.js';
