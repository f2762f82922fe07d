/**
 * Drafters for verified (lossless) decoding: they propose the tokens the base head then checks.
 */

export type { DynamoDrafterOptions } from './dynamoDrafter.js';
export { dynamoDrafter } from './dynamoDrafter.js';
export type { TopOneDrafterOptions } from './topOneDrafter.js';
export { TopOneDrafter, topOneDrafter } from './topOneDrafter.js';
