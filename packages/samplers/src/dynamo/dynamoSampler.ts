import {
  checkEnum,
  checkInteger,
  checkNumber,
  type DecodingDefaults,
  DynamoError,
  DynamoErrorCode,
  type LogitsProcessor,
  type Sampler,
  type StepView,
} from '@dynamojs/core';
import { allMaskedError } from '../classic/checkLogits.js';
import { applyProcessors } from '../classic/processorPipeline.js';
import { checkTablesVocabulary } from '../tables/checkTablesVocabulary.js';
import type { CoOccurrenceTables } from '../tables/coOccurrenceTables.js';
import { adaptiveThreshold } from './adaptiveThreshold.js';
import { backOffBounds, shouldBackOffAt } from './backOff.js';
import { ContextPenaltyScratch, contextPenaltyCells } from './contextPenalty.js';
import {
  CoOccurrenceWeights,
  coOccurrenceJoint,
  type JointRenormalization,
  renormalizeJoint,
} from './coOccurrenceMask.js';
import { drawCell } from './drawCell.js';
import { gaussianKernel } from './gaussianBlur.js';
import { HeadTopK, sampleSelected, selectHeadTopK } from './headTopK.js';
import { cellTokens, JointCells } from './jointCells.js';
import { outerProductJoint } from './jointEstimate.js';
import { type RepetitionMode, RepetitionScratch, repetitionPenaltyCells } from './repetitionCells.js';
import { type StaticThresholdMode, staticThresholdAt, staticThresholdValue } from './staticThreshold.js';

/**
 * Named sets of defaults (docs/dynamo-sampler.md):
 * - `'calibrated'` (the default): the thresholds and the back-off decide only HOW MANY tokens to
 *   emit; the n-gram itself is drawn from the whole masked, weighted, renormalised joint, built
 *   from the extra heads at temperature 1, with alpha 0.9, a context penalty of 4 on cells and
 *   eps_b 0.05 — it keeps one-token sampling's quality figures at ~2.5–2.9 tokens per pass on the
 *   reference model;
 * - `'paper'`: Algorithm 1 read literally — the n-gram is drawn from the thresholded joint, built at
 *   the sampling temperature, alpha 1, no context penalty, eps_b 0.5.
 * Options given explicitly always win over the preset's.
 */
export const DYNAMO_PRESETS = {
  calibrated: { epsilon: 0.05, draw: 'joint', headTemperature: 1, alpha: 0.9, contextPenalty: 4, jointTopK: undefined },
  paper: {
    epsilon: 0.5,
    draw: 'thresholded',
    headTemperature: undefined,
    alpha: 1,
    contextPenalty: 1,
    jointTopK: undefined,
  },
} as const satisfies Record<string, Partial<Record<keyof DynamoOptions, unknown>>>;

export type DynamoPreset = keyof typeof DYNAMO_PRESETS;

/**
 * Which grid the emitted n-gram is drawn from: `'joint'` — the masked, weighted, renormalised joint
 * (after the cell penalties), before any threshold; `'thresholded'` — what survives the static and
 * adaptive thresholds (the paper's literal reading).
 */
export type DynamoDraw = 'joint' | 'thresholded';

/** Options of {@link dynamo}. Every default follows docs/dynamo-sampler.md. */
export interface DynamoOptions {
  /** The defaults of the options below: 'calibrated' (default) or 'paper'. See {@link DYNAMO_PRESETS}. */
  readonly preset?: DynamoPreset;
  /** eps_b ∈ [0, 1], the speed/quality knob: 0 emits as many tokens as survive masking, 1 is plain top-k sampling. Default 0.05 ('calibrated'), 0.5 ('paper'). */
  readonly epsilon?: number;
  /** Where the emitted n-gram is drawn from (see {@link DynamoDraw}). Default 'joint' ('calibrated'), 'thresholded' ('paper'). */
  readonly draw?: DynamoDraw;
  /**
   * Temperature of the extra heads' (1, 2, …) top-k distributions in the multi-token joint (> 0):
   * one number for every extra head, or one per extra head (`[T₁, T₂]`). Head 0 — the base model —
   * always uses `temperature`, as one-token steps do. How sharp an extra head is depends on how it
   * was trained, so the right value is the model's: `dynamo calibrate` fits it by maximum
   * likelihood on the base model's own samples and the model's manifest recommends it
   * (`decoding.headTemperature`). Default 1 ('calibrated'); 'paper': the same as `temperature`.
   */
  readonly headTemperature?: number | readonly number[];
  /**
   * Divides a cell once per token of it found in the last `repetitionWindow` history tokens (≥ 1;
   * 1 = off). Default 4 ('calibrated'), 1 ('paper').
   */
  readonly contextPenalty?: number;
  /** Strength of the co-occurrence weighting, [p^(n-gram)/∏p^(token)]^alpha, ≥ 0 (0: binary mask). Default 0.9 ('calibrated'), 1 ('paper'). */
  readonly alpha?: number;
  /** Tokens kept per head. Default 50. */
  readonly topK?: number;
  /**
   * Tokens per head in the multi-token joint (1 … topK): the joint's grid is jointTopK^n cells;
   * one-token steps still sample from head 0's full top-k. Smaller is faster (the co-occurrence walk
   * visits fewer rows) but truncates the heads' tails from multi-token n-grams, which makes them
   * more predictable than one-token sampling's (measured: docs/dynamo-sampler.md). Default: topK.
   */
  readonly jointTopK?: number;
  /** Applied to every head's logits, > 0. Default 0.7. */
  readonly temperature?: number;
  /** Gaussian kernel size over the rank-sorted grid (odd; 0 or 1 = no blur). Default 3. */
  readonly blur?: number;
  /** Kernel sigma; default OpenCV's for the size ([1/4, 1/2, 1/4] for 3). */
  readonly blurSigma?: number;
  /** Otsu adaptive threshold on (blurred) J. Default true. */
  readonly adaptiveThreshold?: boolean;
  /** Sample the blurred J instead of J. Default false. */
  readonly sampleBlurred?: boolean;
  /** Divide repetition cells by this (> 0; 1 = off). Default 1.1. */
  readonly repetitionPenalty?: number;
  /** What a repetition cell is. Default 'within'. */
  readonly repetition?: RepetitionMode;
  /** History window of `contextPenalty` and of repetition 'context'/'both'. Default 64. */
  readonly repetitionWindow?: number;
  /** Most tokens per step = heads used (1–3). Default 3. */
  readonly maxTokens?: number;
  /** Co-occurrence tables (loadCoOccurrenceTables). Required unless `mask: false`. */
  readonly tables?: CoOccurrenceTables;
  /** Co-occurrence weighted masking. Default true (needs `tables`); false = the paper's "no mask". */
  readonly mask?: boolean;
  /** J after masking: 'full' (sum 1, default), 'mass', 'none'. */
  readonly renormalize?: JointRenormalization;
  /** Static threshold: 'epsilon-power' (eps_b^(n−1), default), 'epsilon', 'off' or a number. */
  readonly staticThreshold?: StaticThresholdMode;
  /** Expected vocabulary size: checked against the tables now and against every step's view. */
  readonly vocabSize?: number;
  /** Logits processors applied to a scratch copy of every head's logits before top-k. */
  readonly processors?: readonly LogitsProcessor[];
  readonly name?: string;
  /**
   * Called after every step with what it did (for diagnostics and visualisations; costs one extra
   * pass over the drawn distribution). Not called when undefined.
   */
  readonly onStep?: (info: DynamoStepInfo) => void;
}

/** What one DynaMo step did (see `onStep`). */
export interface DynamoStepInfo {
  /** Tokens emitted. */
  readonly tokens: number;
  /** Tokens the step tried first (before any back-off). */
  readonly tried: number;
  /** Entropy (nats) of the distribution the emitted n-gram was drawn from. */
  readonly entropy: number;
  /** Probability of the emitted n-gram under that distribution. */
  readonly probability: number;
}

/** Options in force after defaults (as the sampler reports them). */
export interface ResolvedDynamoOptions {
  readonly preset: DynamoPreset;
  readonly epsilon: number;
  readonly draw: DynamoDraw;
  /** Per extra head (index 0 = head 1). */
  readonly headTemperature: readonly number[];
  readonly contextPenalty: number;
  readonly alpha: number;
  readonly topK: number;
  readonly jointTopK: number;
  readonly temperature: number;
  readonly blur: number;
  readonly blurSigma: number | undefined;
  readonly adaptiveThreshold: boolean;
  readonly sampleBlurred: boolean;
  readonly repetitionPenalty: number;
  readonly repetition: RepetitionMode;
  readonly repetitionWindow: number;
  readonly maxTokens: number;
  readonly mask: boolean;
  readonly renormalize: JointRenormalization;
  readonly staticThreshold: StaticThresholdMode;
}

/** The paper's ablation variants (Table: win rate vs base at eps_b = 0.5) as option presets. */
export const DYNAMO_ABLATIONS = {
  /** Independent joint: no co-occurrence weighting, no adaptive threshold (win rate 0.38). */
  'no-mask': { mask: false, adaptiveThreshold: false, blur: 0 },
  /** Co-occurrence weighted masking, alpha 0.5, no adaptive threshold (0.77). */
  'mask-alpha-0.5': { alpha: 0.5, adaptiveThreshold: false, blur: 0 },
  /** Co-occurrence weighted masking only (0.82). */
  mask: { adaptiveThreshold: false, blur: 0 },
  /** Masking + Otsu adaptive threshold without blur (0.96). */
  'mask-adaptive': { adaptiveThreshold: true, blur: 0 },
  /** Masking + blur + adaptive threshold: the full method, the default (0.98). */
  full: {},
} as const satisfies Record<string, DynamoOptions>;

export type DynamoAblation = keyof typeof DYNAMO_ABLATIONS;

/** Counters since the last reset(): how many steps emitted n tokens (emitted[n]). */
export interface DynamoStats {
  steps: number;
  tokens: number;
  readonly emitted: number[];
}

/** Validates options and fills defaults. Throws DYNAMO_INVALID_OPTION. */
export function resolveDynamoOptions(options: DynamoOptions = {}): ResolvedDynamoOptions {
  const preset = checkEnum('preset', options.preset ?? 'calibrated', Object.keys(DYNAMO_PRESETS) as DynamoPreset[]);
  const defaults = DYNAMO_PRESETS[preset];
  const temperature = checkNumber('temperature', options.temperature ?? 0.7, { min: 0, minExclusive: true });
  const topK = checkInteger('topK', options.topK ?? 50, { min: 1, max: 1024 });
  const blur = checkInteger('blur', options.blur ?? 3, { min: 0 });
  if (blur > 1 && blur % 2 === 0) {
    throw new DynamoError(
      DynamoErrorCode.INVALID_OPTION,
      `Option "blur" must be 0, 1 or an odd kernel size, got ${blur}.`,
      {
        details: { option: 'blur', actual: blur },
      },
    );
  }
  const st = options.staticThreshold ?? 'epsilon-power';
  if (typeof st === 'number') checkNumber('staticThreshold', st, { min: 0 });
  else checkEnum('staticThreshold', st, ['epsilon-power', 'epsilon', 'off']);
  const resolved: ResolvedDynamoOptions = {
    preset,
    epsilon: checkNumber('epsilon', options.epsilon ?? defaults.epsilon, { min: 0, max: 1 }),
    draw: checkEnum('draw', options.draw ?? defaults.draw, ['joint', 'thresholded']),
    headTemperature: headTemperatures(options.headTemperature ?? defaults.headTemperature ?? temperature),
    contextPenalty: checkNumber('contextPenalty', options.contextPenalty ?? defaults.contextPenalty, { min: 1 }),
    alpha: checkNumber('alpha', options.alpha ?? defaults.alpha, { min: 0 }),
    topK,
    jointTopK: checkInteger('jointTopK', options.jointTopK ?? Math.min(topK, defaults.jointTopK ?? topK), {
      min: 1,
      max: topK,
    }),
    temperature,
    blur,
    blurSigma:
      options.blurSigma === undefined
        ? undefined
        : checkNumber('blurSigma', options.blurSigma, { min: 0, minExclusive: true }),
    adaptiveThreshold: options.adaptiveThreshold ?? true,
    sampleBlurred: options.sampleBlurred ?? false,
    repetitionPenalty: checkNumber('repetitionPenalty', options.repetitionPenalty ?? 1.1, {
      min: 0,
      minExclusive: true,
    }),
    repetition: checkEnum('repetition', options.repetition ?? 'within', ['within', 'context', 'both', 'off']),
    repetitionWindow: checkInteger('repetitionWindow', options.repetitionWindow ?? 64, { min: 0 }),
    maxTokens: checkInteger('maxTokens', options.maxTokens ?? 3, { min: 1, max: 3 }),
    mask: options.mask ?? true,
    renormalize: checkEnum('renormalize', options.renormalize ?? 'full', ['full', 'mass', 'none']),
    staticThreshold: st,
  };
  // The joint's buffers are sized k^n up front (≈ 28 bytes per cell): 2^21 cells ≈ 59 MB at most.
  if (resolved.topK ** resolved.maxTokens > 2_097_152) {
    throw new DynamoError(
      DynamoErrorCode.INVALID_OPTION,
      `Option "topK" is too large for ${resolved.maxTokens} heads: k^n must be ≤ 2^21 cells (k ≤ 128 for 3 heads, ≤ 1024 for 2).`,
      {
        details: { option: 'topK', actual: resolved.topK },
      },
    );
  }
  if (resolved.mask && options.tables === undefined) {
    throw new DynamoError(
      DynamoErrorCode.INVALID_OPTION,
      'Co-occurrence masking needs tables: pass `tables` (loadCoOccurrenceTables) or set `mask: false` explicitly (the paper\'s "no mask" variant).',
      { details: { option: 'tables' } },
    );
  }
  if (options.tables !== undefined && options.vocabSize !== undefined) {
    checkTablesVocabulary(options.tables.vocabSize, options.vocabSize);
  }
  return resolved;
}

/** `headTemperature` as a list (one per extra head; the last repeats), each > 0. */
function headTemperatures(value: number | readonly number[]): readonly number[] {
  const list = typeof value === 'number' ? [value] : Array.isArray(value) ? value : [Number.NaN];
  if (list.length === 0 || list.length > 8) {
    throw new DynamoError(
      DynamoErrorCode.INVALID_OPTION,
      'Option "headTemperature" must be a number > 0 or a list of 1 to 8 of them (one per extra head).',
      { details: { option: 'headTemperature', actual: value } },
    );
  }
  return Object.freeze(
    list.map((t, i) =>
      checkNumber(typeof value === 'number' ? 'headTemperature' : `headTemperature[${i}]`, t, {
        min: 0,
        minExclusive: true,
      }),
    ),
  );
}

/** A DynaMo sampler: a core Sampler plus its resolved options and counters. */
export interface DynamoSampler extends Sampler {
  readonly heads: number;
  readonly options: ResolvedDynamoOptions;
  readonly stats: DynamoStats;
  reset(): void;
}

/**
 * The DynaMo sampler (Algorithm 1 of Tuli et al., NAACL 2024) as a core Sampler with
 * `heads = maxTokens`. One step, from n = min(maxTokens, view.heads, view.maxTokens, table order):
 *
 * per-head top-k at temperature → joint estimate (outer product) → co-occurrence weighting with
 * unseen n-grams masked (walking existing n-grams) → renormalise → static threshold → adaptive
 * threshold (blur + Otsu) → repetition penalty → back-off test (max ≤ eps_b^(n−1) → n−1) → draw a
 * cell → emit its n tokens. At n = 1: head 0's top-k at the same temperature.
 *
 * Every step consumes exactly one `view.rng.next()`, whatever n ends up being; at n = 1 the draw
 * is the one plain top-k sampling would make, so epsilon = 1 reproduces plain top-k sampling.
 * The hot path allocates nothing after the first step.
 */
export function dynamo(options: DynamoOptions = {}): DynamoSampler {
  const o = resolveDynamoOptions(options);
  const tables = o.mask ? options.tables : undefined;
  const weights = tables ? new CoOccurrenceWeights(tables, o.alpha) : undefined;
  const tableOrder = tables ? tables.order : 3;
  const kernel = o.blur > 1 ? gaussianKernel(o.blur, o.blurSigma) : undefined;
  const processors = options.processors ?? [];
  const heads = [0, 1, 2].map(() => new HeadTopK(o.topK, tables?.vocabSize ?? 0));
  const cells = new JointCells(o.topK, Math.min(o.maxTokens, tableOrder));
  // The pair joint, listed during the triplet walk for a back-off to two tokens.
  const pairCells =
    weights !== undefined && Math.min(o.maxTokens, tableOrder) === 3 ? new JointCells(o.topK, 2) : undefined;
  const histogram = new Float64Array(256);
  // Per-n thresholds in typed slots (the hot path passes no doubles between functions).
  const bounds = backOffBounds(o.epsilon);
  const staticThresholds = Float64Array.from([0, 1, 2, 3], (n) =>
    staticThresholdValue(o.staticThreshold, o.epsilon, n),
  );
  /** This step's one uniform draw (a typed slot: a double passed around would be boxed). */
  const uniform = new Float64Array(1);
  const repetitionScratch = new RepetitionScratch();
  const contextScratch = new ContextPenaltyScratch();
  const drawJoint = o.draw === 'joint';
  const onStep = options.onStep;
  /** The drawn distribution's entropy and the drawn cell's probability (onStep only). */
  const drawn = new Float64Array(2);
  const outs = [new Int32Array(0), new Int32Array(1), new Int32Array(2), new Int32Array(3)];
  const processed: Float32Array[] = [];
  const processorContext: { head: number; history: Int32Array } = { head: 0, history: new Int32Array(0) };
  const stats: DynamoStats = { steps: 0, tokens: 0, emitted: [0, 0, 0, 0] };
  const thresholdOptions = { kernel, sampleBlurred: o.sampleBlurred, histogram, result: new Float64Array(1) };

  const headLogits = (view: StepView, h: number): Float32Array => {
    const raw = view.logits(h);
    if (raw.length !== view.vocabSize) {
      throw new DynamoError(
        DynamoErrorCode.INVALID_LOGITS,
        `Logits of head ${h} have length ${raw.length}, expected the vocabulary size ${view.vocabSize}.`,
        { details: { head: h, expected: view.vocabSize, actual: raw.length } },
      );
    }
    if (processors.length === 0) return raw;
    let buf = processed[h];
    if (buf === undefined || buf.length !== raw.length) buf = processed[h] = new Float32Array(raw.length);
    processorContext.head = h;
    processorContext.history = view.history;
    return applyProcessors(processors, raw, buf, processorContext);
  };

  const emit = (n: number, tokens: Int32Array): Int32Array => {
    stats.steps++;
    stats.tokens += n;
    stats.emitted[n] = (stats.emitted[n] as number) + 1;
    return tokens;
  };

  return {
    name: options.name ?? 'dynamo',
    heads: o.maxTokens,
    options: o,
    stats,
    reset(): void {
      stats.steps = 0;
      stats.tokens = 0;
      stats.emitted.fill(0);
    },
    sample(view: StepView): Int32Array {
      const V = view.vocabSize;
      if (tables !== undefined) checkTablesVocabulary(tables.vocabSize, V);
      let nMax = Math.min(o.maxTokens, view.heads, view.maxTokens, tableOrder);
      if (o.epsilon >= 1) nMax = 1;
      const h0 = heads[0] as HeadTopK;
      selectHeadTopK(headLogits(view, 0), o.topK, o.temperature, h0, 0);
      if (h0.count === 0) throw allMaskedError('dynamo', 0);
      for (let h = 1; h < nMax; h++) {
        const head = heads[h] as HeadTopK;
        const T = o.headTemperature[Math.min(h - 1, o.headTemperature.length - 1)] as number;
        selectHeadTopK(headLogits(view, h), o.jointTopK, o.temperature, head, h, T);
        if (head.count === 0) {
          nMax = h; // an all-masked head cannot propose tokens: use fewer heads
          break;
        }
      }
      uniform[0] = view.rng.next();
      for (let n = nMax; n >= 2; n--) {
        let joint = cells;
        if (weights === undefined) outerProductJoint(heads, n, cells, o.jointTopK);
        else if (n === 3) coOccurrenceJoint(heads, 3, weights, cells, pairCells, o.jointTopK);
        else if (nMax === 3 && pairCells !== undefined) joint = pairCells;
        else coOccurrenceJoint(heads, 2, weights, cells, undefined, o.jointTopK);
        const out = outs[n] as Int32Array;
        if (!runStages(joint, n, view, out)) continue;
        if (onStep !== undefined)
          onStep({ tokens: n, tried: nMax, entropy: drawn[0] as number, probability: drawn[1] as number });
        return emit(n, out);
      }
      const out = outs[1] as Int32Array;
      out[0] = sampleSelected(h0, uniform[0] as number);
      if (onStep !== undefined) {
        describeHead(h0, out[0] as number, drawn);
        onStep({ tokens: 1, tried: nMax, entropy: drawn[0] as number, probability: drawn[1] as number });
      }
      return emit(1, out);
    },
  };

  /**
   * Stages after the joint; writes the n tokens to `out` and returns true, or false to back off.
   * 'thresholded' (the paper): renormalise → thresholds → cell penalties → back-off test → draw.
   * 'joint': renormalise → cell penalties → draw → thresholds → back-off test (the thresholds only
   * decide whether n tokens are emitted; the drawn cell does not depend on them).
   */
  function runStages(cells: JointCells, n: number, view: StepView, out: Int32Array): boolean {
    if (cells.size === 0) return false; // all masked: back off
    renormalizeJoint(cells, o.renormalize);
    if (drawJoint) {
      penalize(cells, view);
      const c = drawCell(cells, uniform[0] as number);
      if (c < 0) return false;
      if (onStep !== undefined) describeDraw(cells, c, drawn);
      cellTokens(cells, c, heads, out);
    }
    staticThresholdAt(cells, staticThresholds, n);
    if (o.adaptiveThreshold) adaptiveThreshold(cells, thresholdOptions);
    if (!drawJoint) penalize(cells, view);
    if (shouldBackOffAt(cells, bounds, n)) return false;
    if (drawJoint) return true;
    const c = drawCell(cells, uniform[0] as number);
    if (c < 0) return false;
    if (onStep !== undefined) describeDraw(cells, c, drawn);
    cellTokens(cells, c, heads, out);
    return true;
  }

  /** The cell penalties: repetition cells, then the context penalty ('within' cells fused with it). */
  function penalize(cells: JointCells, view: StepView): void {
    if (o.repetition === 'within' || o.repetition === 'off') {
      const within = o.repetition === 'within' ? o.repetitionPenalty : 1;
      contextPenaltyCells(cells, heads, o.contextPenalty, view.history, o.repetitionWindow, contextScratch, within);
      return;
    }
    repetitionPenaltyCells(
      cells,
      heads,
      o.repetitionPenalty,
      o.repetition,
      view.history,
      o.repetitionWindow,
      repetitionScratch,
    );
    contextPenaltyCells(cells, heads, o.contextPenalty, view.history, o.repetitionWindow, contextScratch);
  }
}

/** Entropy of the cells' normalised values and the probability of cell c, into out[0], out[1]. */
function describeDraw(cells: JointCells, c: number, out: Float64Array): void {
  const v = cells.value;
  let total = 0;
  for (let i = 0; i < cells.size; i++) total += v[i] as number;
  let h = 0;
  for (let i = 0; i < cells.size; i++) {
    const p = (v[i] as number) / total;
    if (p > 0) h -= p * Math.log(p);
  }
  out[0] = h;
  out[1] = (v[c] as number) / total;
}

/** Entropy of head 0's one-token distribution (top-k at the temperature) and token t's probability. */
function describeHead(head: HeadTopK, t: number, out: Float64Array): void {
  const scaled = head.scaled;
  const max = scaled[0] as number;
  let z = 0;
  for (let r = 0; r < head.count; r++) z += Math.exp((scaled[r] as number) - max);
  let h = 0;
  let pt = 0;
  for (let r = 0; r < head.count; r++) {
    const p = Math.exp((scaled[r] as number) - max) / z;
    if (p > 0) h -= p * Math.log(p);
    if (head.ids[r] === t) pt = p;
  }
  out[0] = h;
  out[1] = pt;
}

/**
 * `dynamo()` with one of the paper's ablation variants applied over `options`. The ablations are
 * of the paper's method, so `preset` defaults to 'paper' here.
 */
export function dynamoAblation(variant: DynamoAblation, options: DynamoOptions = {}): DynamoSampler {
  const preset = DYNAMO_ABLATIONS[checkEnum('variant', variant, Object.keys(DYNAMO_ABLATIONS) as DynamoAblation[])];
  return dynamo({ preset: 'paper', ...options, ...preset, name: options.name ?? `dynamo-${variant}` });
}

/**
 * The DynaMo options a model recommends for `preset` (its manifest's `decoding`, e.g.
 * `model.metadata.decoding`): eps_b, alpha, blur, the extra heads' temperature and the context
 * penalty — taken only when the manifest names that preset (a manifest that names none holds the
 * paper's values). Spread them under your own options: `dynamo({ tables, ...recommendedDynamoOptions(model.metadata.decoding), epsilon })`.
 */
export function recommendedDynamoOptions(
  decoding: DecodingDefaults | undefined,
  preset: DynamoPreset = 'calibrated',
): Partial<DynamoOptions> {
  if (decoding === undefined || (decoding.preset ?? 'paper') !== preset) return { preset };
  const out: { -readonly [K in keyof DynamoOptions]?: DynamoOptions[K] } = { preset };
  if (typeof decoding.epsilon === 'number') out.epsilon = decoding.epsilon;
  if (typeof decoding.alpha === 'number') out.alpha = decoding.alpha;
  if (typeof decoding.blur === 'number') out.blur = decoding.blur;
  if (decoding.headTemperature !== undefined) out.headTemperature = decoding.headTemperature;
  if (typeof decoding.contextPenalty === 'number') out.contextPenalty = decoding.contextPenalty;
  return out;
}
