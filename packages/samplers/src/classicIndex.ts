/**
 * Classic logits processors, selection, samplers, lossless verification and drafting.
 * The signatures of softmax / argmax / multinomial / topK / temperature / checkLogits are stable:
 * the DynaMo sampler builds on them.
 */
export { argmax } from './argmax.js';
export { allMaskedError, checkLogits } from './checkLogits.js';
export type { ClassicProcessorOptions } from './classicProcessors.js';
export { checkProcessor, classicProcessors } from './classicProcessors.js';
export type { GreedyOptions } from './greedySampler.js';
export { GreedySampler, greedy } from './greedySampler.js';
export { GreedyVerifier, greedyVerify } from './greedyVerify.js';
export type { MinPOptions } from './minP.js';
export { MinPProcessor, minP } from './minP.js';
export { multinomial, multinomialFromLogits } from './multinomial.js';
export type { SamplingOptions } from './multinomialSampler.js';
export { MultinomialSampler, sampling } from './multinomialSampler.js';
export { NoRepeatNgramProcessor, noRepeatNgram } from './noRepeatNgram.js';
export {
  MutableProcessorContext,
  PerHeadProcessor,
  ProcessorPipeline,
  perHead,
  pipeline,
} from './processorPipeline.js';
export { RepetitionPenaltyProcessor, repetitionPenalty } from './repetitionPenalty.js';
export { entropy, logSoftmax, logSumExp, maxOf, softmax } from './softmax.js';
export type { SpeculativeVerifyOptions } from './speculativeVerify.js';
export { SpeculativeVerifier, speculativeVerify } from './speculativeVerify.js';
export { TemperatureProcessor, temperature } from './temperature.js';
export { TopKProcessor, topK } from './topK.js';
export { topKIndices } from './topKIndices.js';
export type { TopOneDrafterOptions } from './topOneDrafter.js';
export { TopOneDrafter, topOneDrafter } from './topOneDrafter.js';
export type { TopPOptions } from './topP.js';
export { TopPProcessor, topP } from './topP.js';
export type { TypicalPOptions } from './typicalP.js';
export { TypicalPProcessor, typicalP } from './typicalP.js';
export type { BaseRows, VerifyOptions, VerifyResult } from './verifyCommon.js';
