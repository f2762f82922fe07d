/** Minimal hand-written SVG helpers for the report's plots (no plotting dependency). */

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot', "'": 'apos' }[c]};`);
}

/** A number for an attribute: finite, at most 2 decimals. */
export function n2(v: number): string {
  return Number.isFinite(v) ? String(Math.round(v * 100) / 100) : '0';
}

/** "Nice" ticks covering [lo, hi] (about `count` of them). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (hi - lo < 1e-9) {
    lo -= 0.5;
    hi += 0.5;
  }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const ticks: number[] = [];
  for (let t = Math.floor(lo / step) * step; t <= hi + step * 1e-6; t += step) ticks.push(Math.round(t / step) * step);
  if ((ticks[ticks.length - 1] as number) < hi) ticks.push((ticks[ticks.length - 1] as number) + step);
  return ticks;
}

export function formatTick(v: number): string {
  return String(Math.round(v * 1000) / 1000);
}

export interface Frame {
  readonly width: number;
  readonly height: number;
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

/** Linear map of [d0, d1] to [r0, r1]. */
export function scale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

/** The document: white background, title, axes with ticks and labels. */
export function svgDocument(frame: Frame, title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${frame.width}" height="${frame.height}" viewBox="0 0 ${frame.width} ${frame.height}" font-family="Helvetica, Arial, sans-serif" font-size="12" role="img">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${frame.width}" height="${frame.height}" fill="#ffffff"/>`,
    `<text x="${n2(frame.width / 2)}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

export function axes(
  frame: Frame,
  xTicks: readonly number[],
  yTicks: readonly number[],
  x: (v: number) => number,
  y: (v: number) => number,
  xLabel: string,
  yLabel: string,
  xFormat: (v: number) => string = formatTick,
): string[] {
  const out: string[] = [];
  const x0 = frame.left;
  const x1 = frame.width - frame.right;
  const y0 = frame.height - frame.bottom;
  const y1 = frame.top;
  for (const t of yTicks) {
    out.push(`<line x1="${x0}" x2="${x1}" y1="${n2(y(t))}" y2="${n2(y(t))}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${x0 - 6}" y="${n2(y(t) + 4)}" text-anchor="end">${escapeXml(formatTick(t))}</text>`);
  }
  for (const t of xTicks) {
    out.push(`<line x1="${n2(x(t))}" x2="${n2(x(t))}" y1="${y0}" y2="${y0 + 5}" stroke="#333"/>`);
    out.push(`<text x="${n2(x(t))}" y="${y0 + 18}" text-anchor="middle">${escapeXml(xFormat(t))}</text>`);
  }
  out.push(`<line x1="${x0}" x2="${x1}" y1="${y0}" y2="${y0}" stroke="#333"/>`);
  out.push(`<line x1="${x0}" x2="${x0}" y1="${y0}" y2="${y1}" stroke="#333"/>`);
  out.push(`<text x="${n2((x0 + x1) / 2)}" y="${frame.height - 8}" text-anchor="middle">${escapeXml(xLabel)}</text>`);
  out.push(
    `<text x="14" y="${n2((y0 + y1) / 2)}" text-anchor="middle" transform="rotate(-90 14 ${n2((y0 + y1) / 2)})">${escapeXml(yLabel)}</text>`,
  );
  return out;
}

/** A legend box: colour swatches (or markers) and labels, top-right inside the plot. */
export function legend(
  frame: Frame,
  items: readonly { color: string; label: string; shape?: 'rect' | 'circle' }[],
): string[] {
  const w = Math.max(...items.map((i) => i.label.length)) * 6.5 + 30;
  const x = frame.width - frame.right - w - 6;
  const y = frame.top + 6;
  const out = [
    `<rect x="${n2(x)}" y="${y}" width="${n2(w)}" height="${items.length * 16 + 8}" fill="#ffffff" fill-opacity="0.9" stroke="#ccc"/>`,
  ];
  for (const [i, item] of items.entries()) {
    const cy = y + 12 + i * 16;
    out.push(
      item.shape === 'circle'
        ? `<circle cx="${n2(x + 12)}" cy="${cy}" r="4" fill="${item.color}"/>`
        : `<rect x="${n2(x + 6)}" y="${cy - 5}" width="12" height="10" fill="${item.color}"/>`,
    );
    out.push(`<text x="${n2(x + 24)}" y="${cy + 4}">${escapeXml(item.label)}</text>`);
  }
  return out;
}
