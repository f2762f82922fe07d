import type { StrategyContext } from './strategy.js';

/**
 * Forced-token runs: while the constraint admits exactly one next token, emits it without asking
 * the model (`append` adds it to the next pass's chunk, so the model reads it in the pass it
 * would have read it anyway). Off with `forcedRuns: false`. Returns how many it emitted.
 */
export function emitForcedRun(ctx: StrategyContext, append: (token: number) => void): number {
  const tracker = ctx.constraint;
  if (tracker === undefined || !ctx.opts.forcedRuns) return 0;
  let n = 0;
  while (!ctx.output.finished && ctx.output.room() > 0) {
    const token = tracker.forcedToken();
    if (token < 0) break;
    tracker.forcedTokens++;
    n++;
    append(token);
    if (!ctx.output.emit(token)) break;
  }
  return n;
}

/** Whether the next token is forced (the strategy then skips the sampler for it). */
export function isForced(ctx: StrategyContext): boolean {
  const tracker = ctx.constraint;
  return tracker !== undefined && ctx.opts.forcedRuns && tracker.forcedToken() >= 0;
}
