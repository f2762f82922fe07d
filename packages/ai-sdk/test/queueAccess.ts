// The loaded model's GenerationQueue, for tests (made on first use; undefined before any call).
import { GenerationQueue, queueFor } from '../src/generationQueue.js';

export function queueForTesting(model: object & { metadata: { device?: string } }): GenerationQueue | undefined {
  const q = queueFor(model);
  return q instanceof GenerationQueue ? q : undefined;
}
