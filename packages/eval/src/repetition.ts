/**
 * Share of n-grams (default 3-grams) in `tokens` that already occurred earlier in the same
 * sequence: 0 for no repetition, approaching 1 for a loop. 0 when there are no n-grams.
 */
export function repetitionRate(tokens: ArrayLike<number>, n = 3): number {
  const total = tokens.length - n + 1;
  if (total <= 0) return 0;
  const seen = new Set<string>();
  let repeated = 0;
  for (let i = 0; i < total; i++) {
    let key = '';
    for (let j = 0; j < n; j++) key += `${tokens[i + j] as number},`;
    if (seen.has(key)) repeated++;
    else seen.add(key);
  }
  return repeated / total;
}
