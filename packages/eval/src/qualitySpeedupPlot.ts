import type { EvalSummary } from './summary.js';
import { axes, escapeXml, type Frame, legend, n2, niceTicks, scale, svgDocument } from './svg.js';

const COLORS = {
  sweep: '#1f77b4',
  ar: '#111111',
  verified: '#2ca02c',
  ablation: ['#d62728', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'],
};

/**
 * Quality vs speed-up (SVG): oracle NLL per token (mean, 95% interval as whiskers; lower is better)
 * against the speed-up over ar. The dynamo sweep is one curve labelled with eps_b; ar, verified and
 * the ablation rows are single points; the dashed line is ar's NLL × (1 + tolerance), the level
 * the same-quality criterion allows (on paired differences).
 */
export function qualitySpeedupSvg(summary: EvalSummary, title = 'Quality vs speed-up'): string {
  const frame: Frame = { width: 760, height: 520, left: 64, right: 20, top: 36, bottom: 44 };
  const ar = summary.rows.find((r) => r.id === 'ar');
  const others = summary.rows.filter((r) => r.kind === 'ablation' || r.kind === 'chain');
  const verified = summary.verified;
  const points = [...summary.sweep, ...others, ...(ar ? [ar] : []), ...(verified ? [verified] : [])].filter(
    (r) => Number.isFinite(r.speedup) && Number.isFinite(r.nll.mean),
  );
  const limit = ar ? ar.nll.mean * (1 + summary.criterion.nllTolerance) : Number.NaN;
  const xs = points.map((p) => p.speedup);
  // The range covers the means and the limit (whiskers are clipped to it: with few seeds the
  // intervals can be much wider than the differences between configurations).
  const means = points.map((p) => p.nll.mean);
  if (Number.isFinite(limit)) means.push(limit);
  const spread = Math.max(...means) - Math.min(...means);
  const pad = Math.max(spread * 0.15, 0.05);
  const ys = [Math.min(...means) - pad, Math.max(...means) + pad];
  const xTicks = niceTicks(Math.min(1, ...xs) * 0.95, Math.max(1, ...xs) * 1.05);
  const yTicks = niceTicks(Math.min(...ys), Math.max(...ys));
  const x = scale(xTicks[0] as number, xTicks[xTicks.length - 1] as number, frame.left, frame.width - frame.right);
  const y = scale(
    yTicks[0] as number,
    yTicks[yTicks.length - 1] as number,
    frame.height - frame.bottom,
    frame.top + 30,
  );
  const body = axes(
    frame,
    xTicks,
    yTicks,
    x,
    y,
    'speed-up over ar (tokens/s ratio)',
    'oracle NLL per token (lower is better)',
    (v) => `${Math.round(v * 100) / 100}x`,
  );
  if (Number.isFinite(limit)) {
    body.push(
      `<line x1="${frame.left}" x2="${frame.width - frame.right}" y1="${n2(y(limit))}" y2="${n2(y(limit))}" stroke="#888" stroke-dasharray="5 4"/>`,
      `<text x="${frame.width - frame.right - 4}" y="${n2(y(limit) + 12)}" text-anchor="end" fill="#666" font-size="10">ar NLL + ${summary.criterion.nllTolerance * 100}%</text>`,
    );
  }
  const whisker = (r: { speedup: number; nll: { low: number; high: number } }, color: string) =>
    `<line x1="${n2(x(r.speedup))}" x2="${n2(x(r.speedup))}" y1="${n2(y(r.nll.low))}" y2="${n2(y(r.nll.high))}" stroke="${color}" stroke-opacity="0.5"/>`;
  const sweep = summary.sweep.filter((r) => Number.isFinite(r.speedup) && Number.isFinite(r.nll.mean));
  if (sweep.length > 1) {
    body.push(
      `<polyline fill="none" stroke="${COLORS.sweep}" stroke-width="1.5" points="${sweep.map((r) => `${n2(x(r.speedup))},${n2(y(r.nll.mean))}`).join(' ')}"/>`,
    );
  }
  for (const r of sweep) {
    body.push(whisker(r, COLORS.sweep));
    body.push(
      `<circle cx="${n2(x(r.speedup))}" cy="${n2(y(r.nll.mean))}" r="${r.sameQuality.same ? 4.5 : 3.5}" fill="${r.sameQuality.same ? COLORS.sweep : '#ffffff'}" stroke="${COLORS.sweep}" stroke-width="1.5"><title>${escapeXml(`${r.label}: ${r.speedup.toFixed(2)}x, NLL ${r.nll.mean.toFixed(3)}`)}</title></circle>`,
      `<text x="${n2(x(r.speedup) + 5)}" y="${n2(y(r.nll.mean) - 5)}" font-size="9" fill="#555">${escapeXml(String(r.epsilon))}</text>`,
    );
  }
  const items: { color: string; label: string; shape?: 'rect' | 'circle' }[] = [
    { color: COLORS.sweep, label: 'dynamo, eps_b sweep (filled: same quality)', shape: 'circle' },
  ];
  const single = (r: (typeof points)[number], color: string, label: string) => {
    body.push(whisker(r, color));
    body.push(
      `<rect x="${n2(x(r.speedup) - 4)}" y="${n2(y(r.nll.mean) - 4)}" width="8" height="8" fill="${color}"><title>${escapeXml(`${r.label}: ${r.speedup.toFixed(2)}x, NLL ${r.nll.mean.toFixed(3)}`)}</title></rect>`,
    );
    items.push({ color, label });
  };
  if (ar) single(ar, COLORS.ar, 'ar (baseline)');
  if (verified && Number.isFinite(verified.speedup)) single(verified, COLORS.verified, 'verified (lossless)');
  for (const [i, r] of others.entries()) single(r, COLORS.ablation[i % COLORS.ablation.length] as string, r.label);
  body.push(...legend(frame, items));
  return svgDocument(frame, title, body);
}
