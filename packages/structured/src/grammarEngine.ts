import { DynamoErrorCode, now, type TextTokenizer } from '@dynamojs/core';
import { loadXGrammar, withEngineErrors, type XGrammar } from './engineLoader.js';
import { readVocabulary, type VocabType } from './vocabulary.js';
import { type CompiledParts, XGrammarConstraint } from './xgrammarConstraint.js';

/** How a tokenizer is indexed by the grammar engine. */
export interface EngineOptions {
  /**
   * The logits' width when the model pads its vocabulary past the tokenizer's (tokens past the
   * tokenizer's are never allowed). Default: the tokenizer's `vocabSize`.
   */
  readonly vocabSize?: number;
  /** How token strings encode bytes. Default: guessed from the vocabulary. */
  readonly vocabType?: VocabType;
}

// biome-ignore lint/suspicious/noExplicitAny: engine objects
type EngineObject = any;

/**
 * XGrammar's compiler for one tokenizer (its vocabulary indexed once, ~tens of ms for 4k tokens):
 * compiles JSON schemas, regular expressions and EBNF grammars into {@link XGrammarConstraint}s.
 * One per tokenizer and options, cached ({@link grammarEngine}).
 */
export class GrammarEngine {
  readonly vocabSize: number;
  readonly vocabType: VocabType;
  private readonly lib: XGrammar;
  private readonly compiler: EngineObject;

  private constructor(lib: XGrammar, compiler: EngineObject, vocabSize: number, vocabType: VocabType) {
    this.lib = lib;
    this.compiler = compiler;
    this.vocabSize = vocabSize;
    this.vocabType = vocabType;
  }

  static async create(tokenizer: TextTokenizer, options: EngineOptions = {}): Promise<GrammarEngine> {
    const vocabulary = readVocabulary(tokenizer, options.vocabType);
    const vocabSize = options.vocabSize ?? vocabulary.tokens.length;
    const lib = await loadXGrammar();
    const eos = tokenizer.specialTokens?.eos;
    const compiler = await withEngineErrors(
      'The grammar engine cannot index this tokenizer',
      DynamoErrorCode.UNSUPPORTED,
      async () => {
        const info = await lib.TokenizerInfo.createTokenizerInfo(
          vocabulary.tokens,
          vocabulary.type,
          false,
          vocabSize,
          eos === undefined ? undefined : [eos],
        );
        return lib.GrammarCompiler.createGrammarCompiler(info);
      },
      { option: 'tokenizer' },
    );
    return new GrammarEngine(lib, compiler, vocabSize, vocabulary.type);
  }

  /** Compiles with `compile` (an engine call) and wraps the result as a constraint. */
  async compile(
    kind: string,
    name: string,
    what: string,
    details: Record<string, unknown>,
    compile: (compiler: EngineObject) => Promise<EngineObject>,
  ): Promise<XGrammarConstraint> {
    const start = now();
    const compiled = await withEngineErrors(what, DynamoErrorCode.GRAMMAR, () => compile(this.compiler), details);
    const parts = await this.parts(compiled);
    return new XGrammarConstraint(kind, name, this.vocabSize, parts, now() - start);
  }

  /** The classes that make matchers synchronously, read off a first matcher. */
  private async parts(compiled: EngineObject): Promise<CompiledParts> {
    const first = await this.lib.GrammarMatcher.createGrammarMatcher(compiled);
    const handle = (first as unknown as { handle: EngineObject }).handle;
    const vector = handle.GetNextTokenBitmask(this.vocabSize);
    const IntVector = vector.constructor;
    vector.delete();
    const Matcher = handle.constructor;
    first.dispose();
    return { compiled: compiled.handle, Matcher, IntVector, dispose: () => compiled.dispose() };
  }
}

const engines = new WeakMap<object, Map<string, Promise<GrammarEngine>>>();

/** The grammar engine of `tokenizer` (created once per tokenizer and options). */
export function grammarEngine(tokenizer: TextTokenizer, options: EngineOptions = {}): Promise<GrammarEngine> {
  if (typeof tokenizer !== 'object' || tokenizer === null) return GrammarEngine.create(tokenizer, options);
  let byOptions = engines.get(tokenizer);
  if (byOptions === undefined) {
    byOptions = new Map();
    engines.set(tokenizer, byOptions);
  }
  const key = `${options.vocabSize ?? ''}/${options.vocabType ?? ''}`;
  let engine = byOptions.get(key);
  if (engine === undefined) {
    engine = GrammarEngine.create(tokenizer, options);
    byOptions.set(key, engine);
    engine.catch(() => byOptions.delete(key));
  }
  return engine;
}
