/**
 * Drafters for verified (lossless) decoding: they propose the tokens — a chain, or a tree of
 * candidates — that the base head then checks in one pass.
 */
export type { AssistantDrafterOptions, AssistantDrafterStats } from './assistantDrafter.js';
export {
  AssistantDrafter,
  assistantDrafter,
  DEFAULT_ASSISTANT_MIN_PROBABILITY,
  MAX_ASSISTANT_DRAFT,
} from './assistantDrafter.js';
export { CandidateTrie } from './candidateTrie.js';
export { ConditionalJoint } from './conditionalJoint.js';
export type { DraftHeadDrafterOptions } from './draftHeadDrafter.js';
export { DraftHeadDrafter, draftHeadDrafter } from './draftHeadDrafter.js';
export { DraftHeadRollout } from './draftHeadRollout.js';
export type { DynamoDrafterOptions } from './dynamoDrafter.js';
export { dynamoDrafter } from './dynamoDrafter.js';
export type { DynamoTreeDrafterOptions } from './dynamoTreeDrafter.js';
export { dynamoTreeDrafter } from './dynamoTreeDrafter.js';
export type { NgramDrafterOptions } from './ngramDrafter.js';
export { ngramDrafter } from './ngramDrafter.js';
export { promptLookup } from './promptLookup.js';
export type { TopOneDrafterOptions } from './topOneDrafter.js';
export { TopOneDrafter, topOneDrafter } from './topOneDrafter.js';
export { DEFAULT_TREE_BUDGET, recommendedTreeBudget, TREE_BUDGETS } from './treeBudget.js';
