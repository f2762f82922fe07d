/**
 * Lossless verification of drafted tokens against the base head. The core `Verifier`s
 * (`matchVerifier`, `speculativeVerifier`) check one position's candidates — a chain has one per
 * position, a tree several — and are what `@dynamojs/generate` calls; `greedyVerify` and
 * `speculativeVerify` are chain helpers for code that runs its own loop.
 */
export { greedyVerify } from './greedyVerify.js';
export { MatchVerifier, matchVerifier } from './matchVerifier.js';
export { RejectionSampler } from './rejectionSampling.js';
export { SpeculativeVerifier, speculativeVerifier } from './speculativeVerifier.js';
export type { SpeculativeVerifyOptions } from './speculativeVerify.js';
export { speculativeVerify } from './speculativeVerify.js';
export type { BaseRows, VerifyOptions, VerifyResult } from './verifyCommon.js';
