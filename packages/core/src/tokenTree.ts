import { DynamoError, DynamoErrorCode } from './errors.js';

/**
 * The new tokens of one forward call as a tree of candidates (Medusa / EAGLE-2 / SpecInfer style
 * tree verification), so that one pass scores several alternative continuations at once.
 *
 * `parents[i]` is the index (among the new tokens of the call) of node i's parent, or -1 when
 * node i follows the last cached token directly. Nodes are in topological order
 * (`parents[i] < i`), and `parents.length` is the number of new tokens.
 *
 * Node i sits at position `cache.length + depth(i)` (a node whose parent is -1 has depth 0; a
 * child is one deeper than its parent) and attends to every cached position, to its ancestors and
 * to itself only — never to its siblings or to other branches. So the logits of node i are
 * exactly those of a plain chain pass over the root-to-node path that ends at i.
 *
 * A chain is the tree `parents[i] = i - 1`; it is what `forward` runs when no tree is given.
 *
 * ```text
 *   cache … t      parents = [-1, 0, 0, 1, 2]       node: 0 1 2 3 4
 *           └─ a (0) ─┬─ b (1) ── d (3)              depth: 0 1 1 2 2
 *                     └─ c (2) ── e (4)
 * ```
 */
export interface TokenTree {
  readonly parents: ArrayLike<number>;
}

function invalidTree(message: string, index: number, expected: string, actual: unknown, option: string): never {
  throw new DynamoError(DynamoErrorCode.INVALID_OPTION, `Option "${option}": ${message}`, {
    details: { option, index, expected, actual },
  });
}

/**
 * Validates a {@link TokenTree} for a call with `length` new tokens and returns true when it is a
 * chain (`parents[i] = i - 1` for every i). When `depths` is given (length ≥ `length`), fills
 * `depths[i]` with node i's depth. Errors: DYNAMO_INVALID_OPTION naming the first bad index (wrong
 * `parents` length, a parent that is not an integer, < -1, or ≥ its own index).
 */
export function checkTokenTree(tree: TokenTree, length: number, depths?: Int32Array, option = 'tree'): boolean {
  const parents = (tree as TokenTree | null | undefined)?.parents;
  if (parents === null || typeof parents !== 'object' || typeof parents.length !== 'number') {
    invalidTree('"parents" must be an array of parent indices.', -1, 'an array', parents, option);
  }
  if (parents.length !== length) {
    invalidTree(
      `"parents" has ${parents.length} entries but there are ${length} new tokens (one parent per token).`,
      -1,
      `${length} entries`,
      parents.length,
      option,
    );
  }
  let chain = true;
  for (let i = 0; i < length; i++) {
    const p = parents[i] as number;
    if (typeof p !== 'number' || !Number.isInteger(p) || p < -1 || p >= i) {
      invalidTree(
        `parents[${i}] must be an integer in [-1, ${i - 1}] (-1 = follows the cache; otherwise an earlier node), got ${String(p)}.`,
        i,
        `[-1, ${i - 1}]`,
        p,
        option,
      );
    }
    if (p !== i - 1) chain = false;
    if (depths) depths[i] = p < 0 ? 0 : (depths[p] as number) + 1;
  }
  return chain;
}

/** True when `tree` is a chain (`parents[i] = i - 1` for every i). Does not validate. */
export function isChainTree(tree: TokenTree): boolean {
  const { parents } = tree;
  for (let i = 0; i < parents.length; i++) if (parents[i] !== i - 1) return false;
  return true;
}

/**
 * The root-to-node path ending at `node` (node indices, root first). After a tree pass over a
 * cache of length P, `KVCache.compact([0, 1, …, P - 1, ...treePath(tree, accepted).map((i) => P + i)])`
 * keeps exactly the accepted continuation. Does not validate the tree (see {@link checkTokenTree}).
 */
export function treePath(tree: TokenTree, node: number): number[] {
  const { parents } = tree;
  if (!Number.isInteger(node) || node < 0 || node >= parents.length) {
    throw new DynamoError(
      DynamoErrorCode.INVALID_OPTION,
      `treePath: node must be an integer in [0, ${parents.length}), got ${String(node)}.`,
      { details: { option: 'node', expected: `[0, ${parents.length})`, actual: node } },
    );
  }
  const path: number[] = [];
  for (let i = node; i >= 0; i = parents[i] as number) path.push(i);
  return path.reverse();
}
