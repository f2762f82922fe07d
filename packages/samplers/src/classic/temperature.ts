import { checkNumber, type LogitsProcessor, type ProcessorContext } from '@dynamojs/core';

/**
 * Divides every logit by `temperature` (> 0). 1 leaves the row unchanged; below 1 sharpens,
 * above 1 flattens. `-Infinity` (masked) stays `-Infinity`. Same arithmetic as transformers.js'
 * `TemperatureLogitsWarper`.
 */
export class TemperatureProcessor implements LogitsProcessor {
  readonly name = 'temperature';
  readonly temperature: number;

  constructor(temperature: number) {
    this.temperature = checkNumber('temperature', temperature, { min: 0, minExclusive: true });
  }

  process(logits: Float32Array, _context?: ProcessorContext): void {
    const t = this.temperature;
    if (t === 1) return;
    for (let i = 0; i < logits.length; i++) logits[i] = (logits[i] as number) / t;
  }
}

/** A temperature processor. Throws DYNAMO_INVALID_OPTION unless `temperature` is a finite number > 0. */
export function temperature(temperature: number): TemperatureProcessor {
  return new TemperatureProcessor(temperature);
}
