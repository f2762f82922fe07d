/** @dynamojs/eval — quality measurements for multi-token decoding. */
export { distinctN } from './distinctN.js';
export type { Judge, JudgedText, JudgeOutcome, OracleJudgeOptions, WinRate } from './judge.js';
export { crossingSpeedup, oracleJudge, winRate } from './judge.js';
export { logSoftmaxAt, maxProbability } from './logSoftmaxAt.js';
export type { MeanInterval } from './meanInterval.js';
export { meanInterval } from './meanInterval.js';
export type { DynamicPerplexity, PerplexityOptions, PerplexityReport } from './multiTokenPerplexity.js';
export { multiTokenPerplexity } from './multiTokenPerplexity.js';
export { oracleNll } from './oracleNll.js';
export { repetitionRate } from './repetition.js';
export type { SameQualityCriterion, SameQualityVerdict, SampleMetrics } from './sameQuality.js';
export { sameQuality, sameQualitySpeedup } from './sameQuality.js';
