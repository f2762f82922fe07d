/**
 * Classic logits processors, selection, verification and drafting.
 * Signatures of softmax/argmax/multinomial/topK/temperature/checkLogits are stable.
 */
export { checkLogits, allMaskedError } from './checkLogits.js';
export { argmax } from './argmax.js';
export { softmax, logSoftmax, logSumExp, entropy, maxOf } from './softmax.js';
export { multinomial, multinomialFromLogits } from './multinomial.js';
export { topKIndices } from './topKIndices.js';
export { TemperatureProcessor, temperature } from './temperature.js';
export { TopKProcessor, topK } from './topK.js';
