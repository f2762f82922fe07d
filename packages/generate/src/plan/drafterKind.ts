/**
 * The drafters of `verified`, by name:
 * - `tree`: DynaMo candidate trees from the extra heads' masked joint, the n-gram tables and prompt
 *   lookup (needs the tables and the multi-head graph);
 * - `ngram`: n-gram table + prompt-lookup trees, no head needed (any causal LM; prompt lookup only
 *   without tables) — verified on the base-only graph;
 * - `head`: chains from the model's draft head, drawn from its processed distribution (argmax when
 *   greedy) with q reported — verified on the base-only graph;
 * - `assistant`: chains from a small assistant model with the target's vocabulary, one assistant
 *   pass per drafted token (argmax when greedy; sampled with q reported otherwise) — verified on the
 *   base-only graph; needs the loaded assistant (`create({ assistant })`);
 * - `top1`: per-head top-1 chains; `dynamo` / `dynamo-sample`: the DynaMo joint's best cell / a
 *   cell drawn from it with q reported (chains; need the tables);
 * - `auto`: the best lossless choice for the model and device ({@link chooseDrafter}).
 */
export const DRAFTERS = ['auto', 'tree', 'ngram', 'head', 'assistant', 'top1', 'dynamo', 'dynamo-sample'] as const;
export type DrafterKind = (typeof DRAFTERS)[number];

/** What the choice of a drafter depends on. */
export interface DrafterChoiceContext {
  readonly greedy: boolean;
  /** Heads of the multi-head graph (1: a plain decoder). */
  readonly heads: number;
  readonly draftHead: boolean;
  readonly tables: boolean;
  /** An assistant model is given (it drafts when `drafter` is `'auto'`). */
  readonly assistant?: boolean;
  /** 'cpu', 'wasm', 'webgpu', 'cuda'; undefined or unknown: as the CPU. */
  readonly device: string | undefined;
}

/** Devices where a pass is dispatch- or bandwidth-bound, so extra rows are nearly free. */
const GPU_DEVICES = new Set(['webgpu', 'cuda']);

/**
 * `drafter: 'auto'` — the fastest lossless configuration measured for the model and device
 * (docs/verified-vs-dynamo.md, docs/benchmarks/draft-head.md; model-tiny, 2-core CPU):
 * - sampling with a draft head: its chains (speculative verification: 2.70 tokens/pass at exactly
 *   `ar`'s distribution, vs 1.50 for DynaMo trees);
 * - greedy on a CPU / WASM (or an unknown device): n-gram + prompt-lookup trees on the base-only
 *   graph (1.54x `ar`, vs 1.07x for DynaMo trees and 1.01x for draft-head chains: the multi-head
 *   graph's rows cost real arithmetic there);
 * - greedy on a GPU: DynaMo trees when the model has extra heads and tables (the most tokens per
 *   pass, 3.75 at 8 nodes; extra rows are nearly free) — not measured on a GPU yet;
 * - otherwise: DynaMo trees with tables and heads, per-head top-1 chains with heads, else n-gram.
 * An assistant model, when one is given, drafts first: asking for one says it is the drafter wanted.
 */
export function chooseDrafter(c: DrafterChoiceContext): Exclude<DrafterKind, 'auto'> {
  const multi = c.heads > 1;
  if (c.assistant === true) return 'assistant';
  if (!c.greedy && c.draftHead) return 'head';
  if (c.greedy && !(c.device !== undefined && GPU_DEVICES.has(c.device.toLowerCase()))) return 'ngram';
  if (multi && c.tables) return 'tree';
  return multi ? 'top1' : 'ngram';
}
