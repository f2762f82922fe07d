import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Chromium flags for a quiet, offline, throw-away headless browser. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Where chromium is looked for: $DYNAMO_CHROMIUM, then the Debian paths. */
export function findChromium(): string | undefined {
  const candidates = [process.env.DYNAMO_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((p): p is string => typeof p === 'string' && p.length > 0 && existsSync(p));
}

interface PlaywrightPage {
  setContent(html: string): Promise<void>;
  locator(selector: string): { screenshot(options: { type: 'png'; omitBackground?: boolean }): Promise<Uint8Array> };
}
interface PlaywrightContext {
  newPage(): Promise<PlaywrightPage>;
  close(): Promise<void>;
}
interface PlaywrightCore {
  chromium: {
    launchPersistentContext(
      dir: string,
      options: { executablePath: string; headless: boolean; args: string[]; deviceScaleFactor?: number },
    ): Promise<PlaywrightContext>;
  };
}

/**
 * Renders SVG documents to PNG with playwright-core driving the system chromium (a fresh
 * --user-data-dir, removed afterwards). Returns undefined — never throws — when playwright-core
 * or chromium is missing or the browser fails: PNGs are optional.
 */
export async function svgToPng(svgs: readonly string[]): Promise<Uint8Array[] | undefined> {
  const executablePath = findChromium();
  if (executablePath === undefined) return undefined;
  let playwright: PlaywrightCore;
  try {
    const spec = 'playwright-core';
    playwright = (await import(/* @vite-ignore */ spec)) as PlaywrightCore;
  } catch {
    return undefined;
  }
  const dir = await mkdtemp(join(tmpdir(), 'dynamo-eval-chromium-'));
  let context: PlaywrightContext | undefined;
  try {
    context = await playwright.chromium.launchPersistentContext(dir, {
      executablePath,
      headless: true,
      args: CHROMIUM_FLAGS,
      deviceScaleFactor: 2,
    });
    const page = await context.newPage();
    const out: Uint8Array[] = [];
    for (const svg of svgs) {
      await page.setContent(`<!doctype html><html><body style="margin:0;background:#fff">${svg}</body></html>`);
      out.push(await page.locator('svg').screenshot({ type: 'png' }));
    }
    return out;
  } catch {
    return undefined;
  } finally {
    await context?.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
