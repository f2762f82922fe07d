/**
 * @dynamojs/samplers — the paper's decoding decisions as small, composable pieces, grouped by
 * family: classic processors and samplers, the DynaMo sampler, co-occurrence tables, drafters and
 * verifiers. Browser-safe; the Node file helpers live in the "./node" entry.
 */
export * from './classic/index.js';
export * from './draft/index.js';
export * from './dynamo/index.js';
export * from './tables/index.js';
export * from './verify/index.js';
