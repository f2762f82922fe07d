/**
 * Prompt lookup (Saxena 2023; "lookahead" n-gram matching): the tokens that followed earlier
 * occurrences of the text's last `n` tokens — in the prompt or in what was generated — are likely
 * to follow again (names, quoted passages, code, repeated phrases). For n from `maxNgram` down to
 * `minNgram`, the most recent earlier occurrences of the last n tokens of `history` are found and
 * the up to `length` tokens after each are reported through `onMatch(start, end, n)` (a slice of
 * `history`, most recent match first, at most `maxMatches` in all; matches whose continuation
 * repeats an earlier reported one are still reported — the caller's trie merges them).
 * O(history · maxNgram), no allocation.
 */
export function promptLookup(
  history: ArrayLike<number>,
  options: { minNgram: number; maxNgram: number; length: number; maxMatches: number },
  onMatch: (start: number, end: number, n: number) => void,
): number {
  const L = history.length;
  let reported = 0;
  for (let n = Math.min(options.maxNgram, L - 1); n >= options.minNgram && reported < options.maxMatches; n--) {
    // candidate start j of an earlier occurrence of history[L-n .. L)
    for (let j = L - n - 1; j >= 0 && reported < options.maxMatches; j--) {
      let same = true;
      for (let i = 0; i < n; i++) {
        if (history[j + i] !== history[L - n + i]) {
          same = false;
          break;
        }
      }
      if (!same) continue;
      const start = j + n;
      const end = Math.min(L, start + options.length);
      if (end > start) {
        onMatch(start, end, n);
        reported++;
      }
    }
    if (reported > 0) break; // longer matches are the better evidence
  }
  return reported;
}
