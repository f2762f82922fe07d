import { blurCells } from './gaussianBlur.js';
import { compactCells, type JointCells } from './jointCells.js';
import { otsuThresholdInto } from './otsuThreshold.js';

export interface AdaptiveThresholdOptions {
  /** 1-D Gaussian kernel (gaussianKernel(size)); undefined or length 1: no blur. */
  readonly kernel?: Float64Array;
  /**
   * Sample the blurred values instead of the original ones (the paper is ambiguous). Default
   * false: the blur only decides which cells pass (as blur-then-threshold does on an image); the
   * kept cells keep their own values, and masked n-grams are never resurrected.
   */
  readonly sampleBlurred?: boolean;
  /** Histogram scratch (length ≥ 256) to avoid allocation. */
  readonly histogram?: Float64Array;
  /** One-element scratch for the threshold (avoids a boxed double). */
  readonly result?: Float64Array;
}

/**
 * Adaptive threshold: blur J over the rank-sorted grid, take Otsu's threshold of the blurred
 * values at the non-zero cells (zeros would swamp the histogram and reduce Otsu to "non-zero"),
 * zero every cell whose blurred value is below it. The cell with the largest blurred value always
 * survives. No allocation when `histogram` is given.
 */
export function adaptiveThreshold(cells: JointCells, options: AdaptiveThresholdOptions = {}): void {
  const size = cells.size;
  if (size === 0) return;
  const kernel = options.kernel;
  const blurred = cells.blurred;
  if (kernel !== undefined && kernel.length > 1) blurCells(cells, kernel);
  else for (let c = 0; c < size; c++) blurred[c] = cells.value[c] as number;
  const result = options.result ?? new Float64Array(1);
  otsuThresholdInto(blurred, size, 256, options.histogram ?? new Float64Array(256), result);
  const t = result[0] as number;
  const v = cells.value;
  let top = 0;
  for (let c = 1; c < size; c++) if ((blurred[c] as number) > (blurred[top] as number)) top = c;
  for (let c = 0; c < size; c++) {
    if ((blurred[c] as number) < t && c !== top) v[c] = 0;
    else if (options.sampleBlurred) v[c] = blurred[c] as number;
  }
  compactCells(cells);
}
