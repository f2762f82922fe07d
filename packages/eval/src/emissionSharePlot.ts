import type { EvalSummary } from './summary.js';
import { axes, escapeXml, type Frame, legend, n2, scale, svgDocument } from './svg.js';

const SHADES = ['#c6dbef', '#6baed6', '#08519c', '#08306b'];

/**
 * Share of forward passes that emitted 1, 2, 3 tokens per eps_b (stacked bars, SVG): the paper's
 * Fig. 5 for the dynamo sweep.
 */
export function emissionShareSvg(summary: EvalSummary, title = 'Tokens emitted per pass, by eps_b'): string {
  const frame: Frame = { width: 720, height: 400, left: 56, right: 20, top: 36, bottom: 44 };
  const rows = summary.sweep;
  const heads = Math.max(1, ...rows.map((r) => r.emissionShare.length));
  const x0 = frame.left;
  const x1 = frame.width - frame.right;
  const slot = (x1 - x0) / Math.max(1, rows.length);
  const bar = Math.max(2, slot * 0.7);
  const y = scale(0, 1, frame.height - frame.bottom, frame.top + 66);
  const body = axes(frame, [], [0, 0.25, 0.5, 0.75, 1], (v) => v, y, 'eps_b', 'share of forward passes');
  for (const [i, r] of rows.entries()) {
    const cx = x0 + slot * (i + 0.5);
    let acc = 0;
    for (let k = 0; k < heads; k++) {
      const share = r.emissionShare[k] ?? 0;
      if (share > 0) {
        body.push(
          `<rect x="${n2(cx - bar / 2)}" y="${n2(y(acc + share))}" width="${n2(bar)}" height="${n2(y(acc) - y(acc + share))}" fill="${SHADES[k % SHADES.length]}"><title>${escapeXml(`eps_b ${r.epsilon}: ${k + 1} token(s) ${(share * 100).toFixed(1)}%`)}</title></rect>`,
        );
      }
      acc += share;
    }
    if (rows.length <= 25 || i % 2 === 0) {
      body.push(
        `<text x="${n2(cx)}" y="${frame.height - frame.bottom + 16}" text-anchor="middle" font-size="10">${escapeXml(String(r.epsilon))}</text>`,
      );
    }
  }
  body.push(
    ...legend(
      frame,
      Array.from({ length: heads }, (_, k) => ({
        color: SHADES[k % SHADES.length] as string,
        label: `${k + 1} token${k ? 's' : ''}`,
      })),
    ),
  );
  return svgDocument(frame, title, body);
}
