/**
 * End-to-end tests of the documentation site in headless Chromium (Debian's /usr/bin/chromium,
 * driven by playwright-core): the built site (apps/docs/.vitepress/dist, from `npm run build`) is
 * served by a tiny static server on 127.0.0.1. Screenshots go to apps/docs/test-results/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_FLAGS as baseFlags, CHROMIUM as chromiumPath } from '../../../scripts/headless-chromium.mjs';
import { type StaticServer, serveStatic } from './serve';

const app = resolve(fileURLToPath(new URL('..', import.meta.url)));
// DOCS_DIST: a site built elsewhere (`vitepress build . --outDir DIR`), e.g. while another run reads dist/
const dist = process.env.DOCS_DIST ? resolve(process.env.DOCS_DIST) : join(app, '.vitepress/dist');
const artifacts = join(app, 'test-results');
const MODEL_READY_MS = 90_000;
const GENERATION_MS = 90_000;

const profiles: string[] = [];
async function launch(extraFlags: string[] = []): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'dynamojs-docs-chromium-'));
  profiles.push(profile);
  return chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: [...baseFlags, ...extraFlags],
    viewport: { width: 1280, height: 1000 },
  });
}

/**
 * Console errors, uncaught exceptions and requests that leave the site (the site must not load
 * anything from a CDN or any other host) of a page.
 */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('request', (r) => {
    const url = new URL(r.url());
    if ((url.protocol === 'http:' || url.protocol === 'https:') && url.origin !== server.url) {
      errors.push(`request to another host: ${r.url()}`);
    }
  });
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  return errors;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

const text = async (page: Page, testid: string) => (await page.getByTestId(testid).textContent()) ?? '';
const num = async (page: Page, testid: string) => Number(await text(page, testid));

async function waitForModel(page: Page, statusId = 'dj-status'): Promise<void> {
  await page.waitForFunction(
    (id) => {
      const s = document.querySelector(`[data-testid="${id}"]`)?.textContent ?? '';
      return s.includes('Model ready') || s.includes('Load failed');
    },
    statusId,
    { timeout: MODEL_READY_MS },
  );
  const status = await text(page, statusId);
  if (!status.includes('Model ready')) {
    const err = await page.locator('.dj-error').allTextContents();
    throw new Error(`the model did not load: ${status} ${err.join(' | ')}`);
  }
}

async function waitForDone(page: Page, panel: string): Promise<string> {
  await page.waitForFunction(
    (id) => /^(done|failed|stopped)/.test(document.querySelector(`[data-testid="${id}-status"]`)?.textContent ?? ''),
    panel,
    { timeout: GENERATION_MS },
  );
  return text(page, `${panel}-status`);
}

/** Records every value a stat element shows while a run goes on (live updates). */
async function recordValues(page: Page, testid: string): Promise<void> {
  await page.evaluate((id) => {
    const w = window as unknown as { __seen?: Record<string, string[]> };
    w.__seen ??= {};
    const seen: string[] = [];
    w.__seen[id] = seen;
    const el = document.querySelector(`[data-testid="${id}"]`);
    if (!el) return;
    new MutationObserver(() => seen.push(el.textContent ?? '')).observe(el, {
      childList: true,
      characterData: true,
      subtree: true,
    });
  }, testid);
}
const recorded = (page: Page, testid: string) =>
  page.evaluate((id) => (window as unknown as { __seen: Record<string, string[]> }).__seen[id] ?? [], testid);

let server: StaticServer;
let browser: BrowserContext;

beforeAll(async () => {
  if (!existsSync(join(dist, 'index.html'))) {
    throw new Error(
      `The docs site is not built (${dist}/index.html is missing). Run \`npm run build\` at the repository root ` +
        '(or `npm run build -w @dynamojs/docs` after building the packages) before these tests.',
    );
  }
  if (!existsSync(chromiumPath)) throw new Error(`Chromium not found at ${chromiumPath} (set CHROMIUM_PATH).`);
  mkdirSync(artifacts, { recursive: true });
  server = await serveStatic(dist);
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  for (const p of profiles) rmSync(p, { recursive: true, force: true });
});

describe('docs site', () => {
  it('every page loads without console errors and without broken internal links', async () => {
    const page = await browser.newPage();
    const errors = watchErrors(page);
    const origin = server.url;
    const queue = [`${origin}/`];
    const visited = new Set<string>();
    const assets = new Map<string, string>(); // asset URL -> page linking it
    const anchors: { page: string; from: string; id: string }[] = [];
    const problems: string[] = [];
    while (queue.length > 0) {
      const url = queue.shift()!;
      if (visited.has(url)) continue;
      visited.add(url);
      const response = await page.goto(url, { waitUntil: 'load' });
      if (response?.status() !== 200) {
        problems.push(`${url}: HTTP ${response?.status()}`);
        continue;
      }
      await page.waitForSelector('.VPContent', { timeout: 15_000 });
      if (url === `${origin}/`) await shot(page, 'home');
      const links = await page.$$eval('a[href]', (as) => as.map((a) => (a as HTMLAnchorElement).href));
      for (const link of links) {
        const target = new URL(link);
        if (target.origin !== origin) continue;
        const hash = decodeURIComponent(target.hash.slice(1));
        target.hash = '';
        const plain = target.href;
        const isPage = target.pathname.endsWith('/') || target.pathname.endsWith('.html');
        if (hash) anchors.push({ page: plain, from: url, id: hash });
        if (isPage) {
          if (!visited.has(plain)) queue.push(plain);
        } else if (!assets.has(plain)) assets.set(plain, url);
      }
      // Anchors into this page, requested so far.
      const ids = new Set(await page.$$eval('[id]', (els) => els.map((e) => e.id)));
      for (const a of anchors.filter((x) => x.page === url)) {
        if (!ids.has(a.id)) problems.push(`${a.from} links to ${url}#${a.id}: no such anchor`);
      }
      if (errors.length > 0) problems.push(...errors.splice(0).map((e) => `${url}: ${e}`));
    }
    for (const a of anchors) {
      if (!visited.has(a.page)) problems.push(`${a.from} links to ${a.page}#${a.id}: page not visited`);
    }
    for (const [asset, from] of assets) {
      const r = await fetch(asset, { method: 'HEAD' });
      if (r.status !== 200) problems.push(`${from} links to ${asset}: HTTP ${r.status}`);
    }
    // Every built page is reachable from the home page.
    expect(visited.size).toBeGreaterThan(15);
    expect([...visited].some((u) => u.endsWith('/playground.html'))).toBe(true);
    expect([...visited].some((u) => u.includes('/api/'))).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  }, 150_000);

  it('the playground loads the model on WASM, streams ar and dynamo side by side, and the stats update', async () => {
    const page = await browser.newPage();
    const errors = watchErrors(page);
    await page.goto(`${server.url}/playground.html`);
    await page.getByTestId('dj-playground').waitFor();
    await waitForModel(page);
    expect(await text(page, 'dj-device')).toContain('wasm');
    await page.getByTestId('dj-prompt').fill('The President said that');
    await page.getByTestId('dj-max-tokens').fill('40');
    await page.getByTestId('dj-mode').selectOption('dynamo');
    await recordValues(page, 'dj-panel-main-tokens');
    await recordValues(page, 'dj-panel-ar-tokens');
    await page.getByTestId('dj-generate').click();
    expect(await waitForDone(page, 'dj-panel-ar')).toMatch(/^done/);
    expect(await waitForDone(page, 'dj-panel-main')).toMatch(/^done/);
    await shot(page, 'playground-wasm');

    for (const panel of ['dj-panel-ar', 'dj-panel-main']) {
      const out = await text(page, `${panel}-output`);
      expect(out.startsWith('The President said that')).toBe(true);
      expect(out.length).toBeGreaterThan('The President said that'.length);
      expect(await num(page, `${panel}-tokens`)).toBeGreaterThan(0);
      const passes = await num(page, `${panel}-passes`);
      expect(passes).toBeGreaterThan(1);
      expect(await num(page, `${panel}-tps`)).toBeGreaterThan(0);
      // Live: the token count changed during the run (once per pass), not only at the end.
      expect(new Set(await recorded(page, `${panel}-tokens`)).size).toBeGreaterThanOrEqual(Math.min(4, passes - 1));
    }
    // ar emits one token per pass (a little less when a pass emits the eos, which is not counted);
    // dynamo more (typically 2.5–3.5 here, with the draft head).
    expect(await num(page, 'dj-panel-ar-tpp')).toBeLessThanOrEqual(1);
    expect(await num(page, 'dj-panel-main-tpp')).toBeGreaterThan(1);
    expect(await page.locator('.dj-panel [class*="dj-pass-"]').count()).toBeGreaterThan(10);
    expect(
      await page
        .locator(
          ['.dj-pass-2', '.dj-pass-3', '.dj-pass-4'].map((c) => `[data-testid="dj-panel-main-output"] ${c}`).join(', '),
        )
        .count(),
    ).toBeGreaterThan(0);

    // verified is lossless: the model's draft head drafts, speculative sampling checks — exactly
    // ar's distribution (another draw than ar's with the same seed), several tokens per pass.
    await page.getByTestId('dj-mode').selectOption('verified');
    await page.getByTestId('dj-generate').click();
    expect(await waitForDone(page, 'dj-panel-main')).toMatch(/^done/);
    expect((await text(page, 'dj-panel-main-output')).startsWith('The President said that')).toBe(true);
    expect(await num(page, 'dj-panel-main-tpp')).toBeGreaterThan(1);
    expect(await text(page, 'dj-panel-main-status')).toContain('acceptance');
    await shot(page, 'playground-verified');

    // The slider at 1 (the draft head's back-off threshold; eps_b without a draft head) is plain
    // top-k sampling: one token per pass. Alone (no ar panel).
    await page.getByTestId('dj-mode').selectOption('dynamo');
    await page.getByTestId('dj-compare').uncheck();
    await page.getByTestId('dj-epsilon').fill('1');
    await page.getByTestId('dj-generate').click();
    expect(await waitForDone(page, 'dj-panel-main')).toMatch(/^done/);
    expect(await page.getByTestId('dj-panel-ar').count()).toBe(0);
    expect(await num(page, 'dj-panel-main-tpp')).toBeLessThanOrEqual(1);
    expect(errors).toEqual([]);
    await page.close();
  }, 240_000);

  it('the playground\'s "JSON output" checkbox makes every mode emit JSON (XGrammar in WebAssembly)', async () => {
    const page = await browser.newPage();
    const errors = watchErrors(page);
    await page.goto(`${server.url}/playground.html`);
    await waitForModel(page);
    const prompt = 'Here is the record:';
    await page.getByTestId('dj-prompt').fill(prompt);
    await page.getByTestId('dj-max-tokens').fill('90');
    await page.getByTestId('dj-json').check();
    for (const mode of ['dynamo', 'verified']) {
      await page.getByTestId('dj-mode').selectOption(mode);
      await page.getByTestId('dj-generate').click();
      for (const panel of ['dj-panel-ar', 'dj-panel-main']) {
        const status = await waitForDone(page, panel);
        expect(status).toMatch(/^done/);
        expect(status).toContain('forced by the JSON grammar');
        const out = (await text(page, `${panel}-output`)).slice(prompt.length);
        // a whole value when the grammar completed (eos), else a prefix of one cut by max tokens
        if (status.includes('(eos)')) expect(() => JSON.parse(out), out).not.toThrow();
        else expect(out.trimStart()[0], out).toMatch(/[[{"0-9tfn-]/);
      }
    }
    await shot(page, 'playground-json');
    expect(errors).toEqual([]);
    await page.close();
  }, 240_000);

  it('the playground\'s "assistant drafts" runs verified with the 2-layer assistant (WASM), alone and with JSON output', async () => {
    const page = await browser.newPage();
    const errors = watchErrors(page);
    const assistantRequests: string[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.includes('/assistant/')) assistantRequests.push(new URL(r.url()).pathname);
    });
    await page.goto(`${server.url}/playground.html`);
    await waitForModel(page);
    expect(await text(page, 'dj-device')).toContain('wasm');
    // verified only: the checkbox is disabled in the other modes, and the assistant is not loaded yet
    await page.getByTestId('dj-mode').selectOption('dynamo');
    expect(await page.getByTestId('dj-assistant').isDisabled()).toBe(true);
    expect(await page.getByTestId('dj-assistant-hint').count()).toBe(0);
    await page.getByTestId('dj-mode').selectOption('verified');
    expect(await page.getByTestId('dj-assistant').isEnabled()).toBe(true);
    expect(await text(page, 'dj-assistant-hint')).toContain('lossless');
    expect(assistantRequests).toEqual([]);

    const prompt = 'The President said that';
    await page.getByTestId('dj-prompt').fill(prompt);
    await page.getByTestId('dj-max-tokens').fill('48');
    await page.getByTestId('dj-seed').fill('7');
    await page.getByTestId('dj-assistant').check();
    await page.getByTestId('dj-generate').click();
    expect(await waitForDone(page, 'dj-panel-ar')).toMatch(/^done/);
    const status = await waitForDone(page, 'dj-panel-main');
    expect(status).toMatch(/^done .* on wasm/);
    // drafted by the assistant (loaded on first use, only the files the loader reads), checked by
    // speculative sampling: exactly ar's distribution, several tokens per pass
    expect(await text(page, 'dj-panel-main')).toContain('the 2-layer assistant drafts');
    const drafts = /assistant drafts: (\d+) of (\d+) tokens accepted/.exec(status);
    expect(drafts, status).not.toBeNull();
    const [accepted, proposed] = [Number(drafts?.[1]), Number(drafts?.[2])];
    expect(proposed).toBeGreaterThan(0);
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThanOrEqual(proposed);
    expect(status).toContain('draft acceptance');
    expect(await num(page, 'dj-panel-main-tpp')).toBeGreaterThan(1);
    const withAssistant = await text(page, 'dj-panel-main-output');
    expect(withAssistant.startsWith(prompt)).toBe(true);
    expect(withAssistant.length).toBeGreaterThan(prompt.length);
    expect(assistantRequests.sort()).toEqual([
      '/assistant/config.json',
      '/assistant/generation_config.json',
      '/assistant/onnx/model.onnx',
    ]);
    await shot(page, 'playground-assistant');

    // the same seed again: the same text (the assistant stays loaded: no new request)
    await page.getByTestId('dj-compare').uncheck();
    await page.getByTestId('dj-generate').click();
    expect(await waitForDone(page, 'dj-panel-main')).toMatch(/^done/);
    expect(await text(page, 'dj-panel-main-output')).toBe(withAssistant);
    expect(assistantRequests).toHaveLength(3);

    // with JSON output: grammar-valid text, forced tokens, the assistant still drafting
    const jsonPrompt = 'Here is the record:';
    await page.getByTestId('dj-prompt').fill(jsonPrompt);
    await page.getByTestId('dj-max-tokens').fill('90');
    await page.getByTestId('dj-json').check();
    await page.getByTestId('dj-generate').click();
    const jsonStatus = await waitForDone(page, 'dj-panel-main');
    expect(jsonStatus).toMatch(/^done/);
    expect(jsonStatus).toContain('forced by the JSON grammar');
    expect(jsonStatus).toMatch(/assistant drafts: \d+ of [1-9]\d* tokens accepted/);
    const out = (await text(page, 'dj-panel-main-output')).slice(jsonPrompt.length);
    if (jsonStatus.includes('(eos)')) expect(() => JSON.parse(out), out).not.toThrow();
    else expect(out.trimStart()[0], out).toMatch(/[[{"0-9tfn-]/);
    await shot(page, 'playground-assistant-json');
    expect(errors).toEqual([]);
    await page.close();
  }, 240_000);

  it('the playground explains bad input instead of failing silently', async () => {
    const page = await browser.newPage();
    const errors = watchErrors(page);
    await page.goto(`${server.url}/playground.html`);
    await waitForModel(page);

    await page.getByTestId('dj-prompt').fill('   ');
    await page.getByTestId('dj-generate').click();
    await expect.poll(() => text(page, 'dj-input-error')).toContain('Type a prompt');

    await page.getByTestId('dj-prompt').fill('Hello');
    await page.getByTestId('dj-max-tokens').fill('100000');
    await page.getByTestId('dj-generate').click();
    await expect.poll(() => text(page, 'dj-input-error')).toContain('Max tokens must be a whole number');
    await page.getByTestId('dj-max-tokens').fill('2.5');
    await page.getByTestId('dj-generate').click();
    await expect.poll(() => text(page, 'dj-input-error')).toContain('Max tokens must be a whole number');
    await shot(page, 'playground-bad-input');

    // WebGPU asked for where there is none (this browser has no --enable-unsafe-webgpu).
    const gpu = await page.evaluate(async () => {
      const g = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      return !!(g && (await g.requestAdapter()));
    });
    if (!gpu) {
      await page.getByTestId('dj-device-choice').selectOption('webgpu');
      await page.getByTestId('dj-max-tokens').fill('8');
      await page.getByTestId('dj-generate').click();
      await expect.poll(() => text(page, 'dj-load-error')).toContain('WebGPU was requested');
      await shot(page, 'playground-no-webgpu');
    }
    expect(errors).toEqual([]);

    // A model that fails to load: a clear message, and the page still works.
    const broken = await browser.newPage();
    const brokenErrors = watchErrors(broken);
    await broken.goto(`${server.url}/playground.html?model=no-such-model/`);
    await expect
      .poll(() => text(broken, 'dj-load-error').catch(() => ''), { timeout: 30_000 })
      .toContain('could not be loaded');
    expect(await text(broken, 'dj-load-error')).toContain('no-such-model');
    expect(await broken.getByTestId('dj-generate').isEnabled()).toBe(true);
    await shot(broken, 'playground-load-error');
    // The 404 of the manifest is the only console error (the browser logs failed fetches).
    expect(brokenErrors.filter((e) => !e.includes('404'))).toEqual([]);
    await broken.close();

    // A slow download shows its progress (the multi-head graph held back for 2 s).
    const slow = await browser.newPage();
    const slowErrors = watchErrors(slow);
    await slow.route('**/model/model*.onnx', async (route) => {
      await new Promise((r) => setTimeout(r, 2000));
      await route.continue();
    });
    await slow.goto(`${server.url}/playground.html`);
    await slow.getByTestId('dj-progress').waitFor({ timeout: 30_000 });
    await expect.poll(() => text(slow, 'dj-status')).toMatch(/Downloading the model: [\d.]+ \/ [\d.]+ MB/);
    expect(await slow.getByTestId('dj-generate').isDisabled()).toBe(true);
    await shot(slow, 'playground-loading');
    await waitForModel(slow);
    expect(slowErrors).toEqual([]);
    await slow.close();
    await page.close();
  }, 150_000);

  it('the custom-sampler example runs the code typed in the page, and reports broken code', async () => {
    const page = await browser.newPage();
    const errors = watchErrors(page);
    await page.goto(`${server.url}/custom-sampler.html`);
    await waitForModel(page, 'dj-lab-status');
    await page.getByTestId('dj-lab-max-tokens').fill('24');
    await page.getByTestId('dj-lab-run').click();
    expect(await waitForDone(page, 'dj-lab-panel')).toMatch(/^done/);
    expect(await num(page, 'dj-lab-panel-tokens')).toBeGreaterThan(0);
    expect(await text(page, 'dj-lab-panel')).toContain('confident-heads');
    await shot(page, 'custom-sampler');

    // Always three tokens: the sampler decides the emission.
    await page
      .getByTestId('dj-sampler-code')
      .fill(
        "return { name: 'three-argmax', heads: 3, sample(view) { const out = []; for (let h = 0; h < view.maxTokens; h++) { const r = view.logits(h); let b = 0; for (let i = 1; i < r.length; i++) if (r[i] > r[b]) b = i; out.push(b); } return out; } };",
      );
    await page.getByTestId('dj-lab-max-tokens').fill('30');
    await page.getByTestId('dj-lab-run').click();
    expect(await waitForDone(page, 'dj-lab-panel')).toMatch(/^done/);
    expect(await num(page, 'dj-lab-panel-tpp')).toBeGreaterThan(2);

    await page.getByTestId('dj-sampler-code').fill('return {');
    await page.getByTestId('dj-lab-run').click();
    await expect.poll(() => text(page, 'dj-lab-error')).toContain('did not run');

    await page.getByTestId('dj-sampler-code').fill("return { name: 'empty', heads: 3, sample: () => [] };");
    await page.getByTestId('dj-lab-run').click();
    expect(await waitForDone(page, 'dj-lab-panel')).toMatch(/^failed/);
    expect(await text(page, 'dj-lab-panel-error')).toContain('DYNAMO_SAMPLER');
    await shot(page, 'custom-sampler-error');
    expect(errors).toEqual([]);
    await page.close();
  }, 150_000);

  it('the playground runs on WebGPU when the browser offers an adapter (SwiftShader)', async () => {
    const gpuBrowser = await launch(['--enable-unsafe-webgpu']);
    try {
      const page = await gpuBrowser.newPage();
      const errors = watchErrors(page);
      await page.goto(`${server.url}/playground.html`);
      const adapter = await page.evaluate(async () => {
        const g = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
        return !!(g && (await g.requestAdapter()));
      });
      expect(adapter, 'Chromium offered no WebGPU adapter with --enable-unsafe-webgpu').toBe(true);
      await waitForModel(page);
      expect(await text(page, 'dj-device')).toContain('webgpu');
      await page.getByTestId('dj-max-tokens').fill('24');
      await page.getByTestId('dj-generate').click();
      expect(await waitForDone(page, 'dj-panel-ar')).toMatch(/^done/);
      expect(await waitForDone(page, 'dj-panel-main')).toMatch(/^done .* on webgpu/);
      expect(await num(page, 'dj-panel-main-tokens')).toBeGreaterThan(0);
      expect(await num(page, 'dj-panel-main-tps')).toBeGreaterThan(0);
      await shot(page, 'playground-webgpu');
      // onnxruntime-web's warnings (some nodes run on the CPU) are silenced by the page (logLevel).
      expect(errors).toEqual([]);
    } finally {
      await gpuBrowser.close();
    }
  }, 180_000);
});
