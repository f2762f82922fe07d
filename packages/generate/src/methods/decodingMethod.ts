import type { MultiTokenModel, Sampler } from '@dynamojs/core';
import type { ResolvedOptions } from '../resolvedOptions.js';
import type { DecodeStrategy, StrategyContext } from '../strategies/strategy.js';
import type { GenerateOptions } from '../types.js';

/**
 * A decoding method: how one generation turns forward passes into tokens, registered by name
 * ({@link registerDecodingMethod}). The decode loop is the same for every method; a method only
 * says which generations it takes, checks their options and makes the {@link DecodeStrategy} that
 * runs them. The built-in ones are one file each under src/methods/: `ar`, `dynamo-heads`,
 * `dynamo-chain`, `verified`. Adding a method is one new file implementing this contract plus its
 * registration — no central union, no `if` chain.
 */
export interface DecodingMethod {
  /** The registry key, e.g. `'dynamo-chain'` (also `stats.method`). */
  readonly name: string;
  /**
   * The generation mode it serves (`options.mode`, `stats.mode`): a built-in one (`'ar'`,
   * `'dynamo'`, `'verified'`) or a new one. Several methods may serve one mode; see `accepts`.
   */
  readonly mode: string;
  /**
   * Whether it decodes a generation of its mode with this sampler and model. Of the methods of one
   * mode, the most recently registered that accepts wins (so a plugin can take over a case from a
   * built-in). Default: every generation of its mode.
   */
  accepts?(sampler: Sampler, model: MultiTokenModel): boolean;
  /**
   * When `options.mode` is not given: whether this sampler asks for this method's mode (a
   * multi-head sampler asks for `'dynamo'`). Default: no. Without any, the mode is `'ar'`.
   */
  impliedBy?(sampler: Sampler): boolean;
  /**
   * Validates what this method needs beyond generate's common options (a draft head, a sampler
   * of some kind), throwing a typed DynamoError. `given` is what the caller passed.
   */
  check?(options: ResolvedOptions, given: GenerateOptions): void;
  /** A fresh strategy for one generation (sets the views' `heads` it reads). */
  createStrategy(ctx: StrategyContext): DecodeStrategy;
}

/** A method's registration options. */
export interface RegisterOptions {
  /** Replace a registered method of the same name (default: a second one is refused). */
  readonly replace?: boolean;
}
