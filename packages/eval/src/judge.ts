/** A continuation to be judged. */
export interface JudgedText {
  readonly prompt: string;
  readonly text: string;
  /** Optional measurements a local judge can use. */
  readonly nll?: number;
  readonly repetition?: number;
}

/** Outcome of a pairwise comparison, from the first candidate's point of view. */
export type JudgeOutcome = 'win' | 'loss' | 'tie';

/**
 * A pairwise judge, like the paper's GPT-3.5/GPT-4 judge: which of two continuations of the same
 * prompt is better? Plug in an LLM judge by implementing `compare` (e.g. with a fetch to your API).
 */
export interface Judge {
  readonly name: string;
  compare(a: JudgedText, b: JudgedText): Promise<JudgeOutcome> | JudgeOutcome;
}

export interface OracleJudgeOptions {
  /** Differences in score below this count as a tie (default 0.05 nats). */
  readonly margin?: number;
  /** Weight of the repetition rate in the score (default 2 nats per unit of repetition). */
  readonly repetitionWeight?: number;
}

/**
 * A local judge from the oracle metrics: score = NLL + repetitionWeight × repetition (lower wins),
 * ties within `margin`. Needs `nll` (and optionally `repetition`) on both texts.
 */
export function oracleJudge(options: OracleJudgeOptions = {}): Judge {
  const margin = options.margin ?? 0.05;
  const weight = options.repetitionWeight ?? 2;
  return {
    name: 'oracle',
    compare(a, b) {
      if (a.nll === undefined || b.nll === undefined) {
        throw new Error('oracleJudge needs the oracle NLL of both texts');
      }
      const sa = a.nll + weight * (a.repetition ?? 0);
      const sb = b.nll + weight * (b.repetition ?? 0);
      if (Math.abs(sa - sb) < margin) return 'tie';
      return sa < sb ? 'win' : 'loss';
    },
  };
}

export interface WinRate {
  readonly wins: number;
  readonly losses: number;
  readonly ties: number;
  /**
   * wins / losses, the paper's convention: 1.0 means parity with the baseline, above 1 better.
   * Infinity when there are wins and no losses; 1 when there are neither.
   */
  readonly rate: number;
}

/** Judges every pair (candidate[i] vs baseline[i]) and returns the win rate of the candidates. */
export async function winRate(
  judge: Judge,
  candidates: readonly JudgedText[],
  baselines: readonly JudgedText[],
): Promise<WinRate> {
  let wins = 0;
  let losses = 0;
  let ties = 0;
  const n = Math.min(candidates.length, baselines.length);
  for (let i = 0; i < n; i++) {
    const outcome = await judge.compare(candidates[i] as JudgedText, baselines[i] as JudgedText);
    if (outcome === 'win') wins++;
    else if (outcome === 'loss') losses++;
    else ties++;
  }
  const rate = losses === 0 ? (wins === 0 ? 1 : Number.POSITIVE_INFINITY) : wins / losses;
  return { wins, losses, ties, rate };
}

/**
 * The speed-up at which the win rate crosses 1.0, the paper's way: among configurations ordered by
 * speed-up, the largest speed-up whose win rate is still ≥ 1 (linearly interpolated to the crossing
 * between the last point at or above 1 and the next one below). 1 when no point reaches parity.
 */
export function crossingSpeedup(points: readonly { speedup: number; winRate: number }[]): number {
  const sorted = [...points].sort((a, b) => a.speedup - b.speedup);
  let best = 1;
  for (let i = 0; i < sorted.length; i++) {
    const p = sorted[i] as { speedup: number; winRate: number };
    if (p.winRate >= 1) {
      best = Math.max(best, p.speedup);
      const next = sorted[i + 1];
      if (next && next.winRate < 1 && Number.isFinite(p.winRate)) {
        const f = (p.winRate - 1) / (p.winRate - next.winRate);
        best = Math.max(best, p.speedup + f * (next.speedup - p.speedup));
      }
    }
  }
  return best;
}
