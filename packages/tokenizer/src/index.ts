/**
 * @dynamojs/tokenizer — Hugging Face tokenizer.json (byte-level BPE: GPT-2, GPT-NeoX, Llama 3, Qwen; SentencePiece-style BPE: Llama 2, Gemma, Mistral, Phi-3)
 * for DynaMo.js: encode/decode, an incremental UTF-8-safe decoder for multi-token emissions,
 * special tokens, and a vocabulary hash for cross-checks. Browser-safe: `node:fs` is only
 * loaded (dynamically) when a file path is given in Node.
 */

export type {
  ChatMessage,
  ChatTemplateOptions,
  DecodeOptions,
  EncodeOptions,
  IncrementalDecoder,
  TextTokenizer,
} from '@dynamojs/core';
export { BYTE_TO_CHAR, byteLevelTokenBytes } from './byteLevel.js';
export type { ChatTemplateSource } from './chatTemplate.js';
export { ChatTemplate, renderChatTemplate } from './chatTemplate.js';
export type { ExpectedVocabulary } from './checkVocabulary.js';
export { checkVocabulary } from './checkVocabulary.js';
export type { TokenizerOptions } from './dynamoTokenizer.js';
export { DynamoTokenizer } from './dynamoTokenizer.js';
export { ByteLevelIncrementalDecoder } from './incrementalDecoder.js';
export type { LoadTokenizerOptions, TokenizerSource } from './load.js';
export { createTokenizer, loadTokenizer } from './load.js';
export { SentencePieceIncrementalDecoder } from './sentencePieceDecoder.js';
export { SPECIAL_TOKEN_CANDIDATES } from './specialTokens.js';
export type { AddedTokenJson, BpeModelJson, DecodingScheme, TokenizerJson } from './tokenizerJson.js';
export { Fnv1a64, fnv1a64, vocabularyHash } from './vocabularyHash.js';
