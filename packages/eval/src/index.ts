/** @dynamojs/eval — quality measurements for multi-token decoding. */
export { distinctN } from './distinctN.js';
export { emissionShareSvg } from './emissionSharePlot.js';
export type { Judge, JudgedText, JudgeOutcome, OracleJudgeOptions, WinRate } from './judge.js';
export { crossingSpeedup, oracleJudge, winRate } from './judge.js';
export { logSoftmaxAt, maxProbability } from './logSoftmaxAt.js';
export type { MaskedJointOptions } from './maskedJoint.js';
export { MaskedJointScorer } from './maskedJoint.js';
export type { MeanInterval } from './meanInterval.js';
export { meanInterval } from './meanInterval.js';
export type { DynamicPerplexity, PerplexityOptions, PerplexityReport } from './multiTokenPerplexity.js';
export { multiTokenPerplexity } from './multiTokenPerplexity.js';
export { oracleNll, oracleSurprisal } from './oracleNll.js';
export { DEFAULT_EVAL_PROMPTS, parsePrompts } from './prompts.js';
export { qualitySpeedupSvg } from './qualitySpeedupPlot.js';
export { repetitionRate } from './repetition.js';
export type { BuiltReport, ReportOptions } from './report.js';
export { buildReport, REPORT_FILES, stringifyReport } from './report.js';
export type { ReportContext } from './reportMarkdown.js';
export { perplexityMarkdown, reportMarkdown } from './reportMarkdown.js';
export type { SameQualityCriterion, SameQualityVerdict, SampleMetrics } from './sameQuality.js';
export { SAME_QUALITY_CRITERION, sameQuality, sameQualitySpeedup } from './sameQuality.js';
export type { ConfiguredSampler, EvalSamplerFactory, EvalSamplerSettings } from './samplerFactory.js';
export { DEFAULT_SAMPLER_SETTINGS, defaultSamplerFactory, resolveSamplerSettings } from './samplerFactory.js';
export type { AblationRow, ConfigurationSummary, EvalSummary, SummaryOptions } from './summary.js';
export { summarizeSweep } from './summary.js';
export type { SurprisalComparison } from './surprisalTest.js';
export { ksDistance, surprisalTest } from './surprisalTest.js';
export type { SweepOptions, SweepProgress } from './sweep.js';
export { runSweep } from './sweep.js';
export type { AblationVariant, ConfigurationOptions, SweepConfiguration, SweepKind } from './sweepConfig.js';
export {
  ABLATION_EPSILON,
  ablationId,
  chainId,
  DEFAULT_CHAIN_THRESHOLDS,
  DEFAULT_EPSILONS,
  dynamoId,
  EVAL_ABLATIONS,
  paperId,
  sweepConfigurations,
} from './sweepConfig.js';
export type { SampleRecord, SweepResults } from './sweepResults.js';
export { resumableSamples, sampleKey } from './sweepResults.js';
