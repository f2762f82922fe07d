/**
 * log softmax(row)[index], computed stably in one pass over the row (no allocation).
 * Optional temperature divides the logits first.
 */
export function logSoftmaxAt(row: ArrayLike<number>, index: number, temperature = 1): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < row.length; i++) {
    const v = (row[i] as number) / temperature;
    if (v > max) max = v;
  }
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp((row[i] as number) / temperature - max);
  return (row[index] as number) / temperature - max - Math.log(sum);
}

/** The largest probability of softmax(row / temperature). */
export function maxProbability(row: ArrayLike<number>, temperature = 1): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < row.length; i++) {
    const v = (row[i] as number) / temperature;
    if (v > max) max = v;
  }
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp((row[i] as number) / temperature - max);
  return 1 / sum;
}
