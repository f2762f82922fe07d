/** generate()'s defaults (one place, read by the options check and the strategies). */

export const DEFAULT_MAX_NEW_TOKENS = 128;

/** Most drafted tokens (chain or tree nodes) per verification pass, unless `maxDraftTokens` says otherwise. */
export const DEFAULT_MAX_DRAFT_TOKENS = 64;

/**
 * Extra heads' rows of a tree pass, unless `headRows` says otherwise: the nodes where acceptance
 * most likely stops (one of them is where the next draft is made).
 */
export const DEFAULT_TREE_HEAD_ROWS = 3;
