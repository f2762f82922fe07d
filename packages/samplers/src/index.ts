/**
 * @dynamojs/samplers — the paper's decoding decisions as small, composable pieces.
 * Classic processors, selection and verification are exported from ./classicIndex, the DynaMo
 * sampler and co-occurrence tables from ./dynamoIndex.
 */
export * from './classicIndex.js';
export * from './dynamoIndex.js';
