/**
 * Classic decoding: logits processors (temperature, top-k, top-p, typical-p, min-p, repetition
 * penalty, no-repeat n-grams), processor pipelines, softmax/argmax/multinomial, greedy and
 * multinomial samplers.
 */
export { argmax } from './argmax.js';
export { allMaskedError, checkLogits } from './checkLogits.js';
export type { ClassicProcessorOptions } from './classicProcessors.js';
export { checkProcessor, classicProcessors } from './classicProcessors.js';
export type { GreedyOptions } from './greedySampler.js';
export { GreedySampler, greedy } from './greedySampler.js';
export type { MinPOptions } from './minP.js';
export { MinPProcessor, minP } from './minP.js';
export { multinomial, multinomialFromLogits } from './multinomial.js';
export type { SamplingOptions } from './multinomialSampler.js';
export { MultinomialSampler, sampling } from './multinomialSampler.js';
export { NoRepeatNgramProcessor, noRepeatNgram } from './noRepeatNgram.js';
export {
  applyProcessors,
  MutableProcessorContext,
  PerHeadProcessor,
  ProcessorPipeline,
  perHead,
  pipeline,
} from './processorPipeline.js';
export { RepetitionPenaltyProcessor, repetitionPenalty } from './repetitionPenalty.js';
export { entropy, logSoftmax, logSumExp, maxOf, softmax } from './softmax.js';
export { TemperatureProcessor, temperature } from './temperature.js';
export { TopKProcessor, topK } from './topK.js';
export { topKIndices } from './topKIndices.js';
export type { TopPOptions } from './topP.js';
export { TopPProcessor, topP } from './topP.js';
export type { TypicalPOptions } from './typicalP.js';
export { TypicalPProcessor, typicalP } from './typicalP.js';
