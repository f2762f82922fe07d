/**
 * @dynamojs/structured — structured output for DynaMo.js: JSON schemas, regular expressions and
 * EBNF / GBNF grammars compiled by XGrammar (@mlc-ai/web-xgrammar, WebAssembly: Node and browsers)
 * into a `Constraint` that `generate({ constraint })` honours in every mode, with forced-token runs.
 */

export type { ConstraintSpec, GrammarOptions, JsonOptions, JsonSchema } from './constraints.js';
export {
  constraintFrom,
  grammarConstraint,
  jsonConstraint,
  jsonSchemaConstraint,
  regexConstraint,
} from './constraints.js';
export { loadXGrammar } from './engineLoader.js';
export type { EngineOptions } from './grammarEngine.js';
export { GrammarEngine, grammarEngine } from './grammarEngine.js';
export type { UnenforcedUse } from './schemaSupport.js';
export { UNENFORCED_KEYWORDS, unenforcedKeywords } from './schemaSupport.js';
export type { VocabType, Vocabulary } from './vocabulary.js';
export { readVocabulary } from './vocabulary.js';
export { XGrammarConstraint } from './xgrammarConstraint.js';
