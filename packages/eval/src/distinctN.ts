/** distinct-n: unique n-grams / total n-grams (Li et al. 2016). 0 when there are no n-grams. */
export function distinctN(tokens: ArrayLike<number>, n: number): number {
  const total = tokens.length - n + 1;
  if (total <= 0) return 0;
  const seen = new Set<string>();
  for (let i = 0; i < total; i++) {
    let key = '';
    for (let j = 0; j < n; j++) key += `${tokens[i + j] as number},`;
    seen.add(key);
  }
  return seen.size / total;
}
