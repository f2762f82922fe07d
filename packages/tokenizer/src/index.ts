/**
 * @dynamojs/tokenizer — Hugging Face tokenizer.json (byte-level BPE: GPT-2, GPT-NeoX/Pythia)
 * for DynaMo.js: encode/decode, an incremental UTF-8-safe decoder for multi-token emissions,
 * special tokens, and a vocabulary hash for cross-checks. Browser-safe: `node:fs` is only
 * loaded (dynamically) when a file path is given in Node.
 */

export type { DecodeOptions, EncodeOptions, IncrementalDecoder, TextTokenizer } from '@dynamojs/core';
export { BYTE_TO_CHAR, byteLevelTokenBytes } from './byteLevel.js';
export type { ExpectedVocabulary } from './checkVocabulary.js';
export { checkVocabulary } from './checkVocabulary.js';
export type { TokenizerOptions } from './dynamoTokenizer.js';
export { DynamoTokenizer } from './dynamoTokenizer.js';
export { ByteLevelIncrementalDecoder } from './incrementalDecoder.js';
export type { LoadTokenizerOptions, TokenizerSource } from './load.js';
export { createTokenizer, loadTokenizer } from './load.js';
export { SPECIAL_TOKEN_CANDIDATES } from './specialTokens.js';
export type { AddedTokenJson, BpeModelJson, TokenizerJson } from './tokenizerJson.js';
export { Fnv1a64, fnv1a64, vocabularyHash } from './vocabularyHash.js';
