// streamText in headless Chromium (Debian's /usr/bin/chromium through playwright-core; never a
// downloaded browser) on model-tiny, on WASM (and WebGPU through SwiftShader with
// DYNAMOJS_WEBGPU_TESTS=1), through the provider's browser entry bundled with `ai` by esbuild.
// Skipped where Chromium is missing.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launchChromium, serveFiles } from '../../../scripts/headless-chromium.mjs';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const ORT_DIST = join(root, 'node_modules/onnxruntime-web/dist');
const MODEL_TINY = join(root, 'packages/model-tiny/model');

describe.skipIf(!existsSync(CHROMIUM))('streamText in headless Chromium', () => {
  let close = async () => {};
  let base = '';
  let bundle = '';
  const profile = mkdtempSync(join(tmpdir(), 'dynamojs-ai-sdk-chromium-'));

  beforeAll(async () => {
    const esbuild = await import('esbuild');
    const out = await esbuild.build({
      entryPoints: [fileURLToPath(new URL('./browser/page.ts', import.meta.url))],
      bundle: true,
      format: 'esm',
      write: false,
      platform: 'browser',
      // url, module: @mlc-ai/web-xgrammar's Node-only branches (docs/structured-output.md, "Bundling")
      external: ['onnxruntime-web', 'url', 'module'],
      logLevel: 'silent',
      plugins: [
        {
          // the packages' sources, as vitest resolves them
          name: 'dynamojs-sources',
          setup(build) {
            build.onResolve({ filter: /^@dynamojs\/[a-z0-9-]+(\/[a-z0-9-]+)?$/ }, (args) => {
              const [, name, sub] = /^@dynamojs\/([a-z0-9-]+)(?:\/([a-z0-9-]+))?$/.exec(args.path) ?? [];
              return { path: join(root, 'packages', name as string, 'src', `${sub ?? 'index'}.ts`) };
            });
          },
        },
      ],
    });
    bundle = out.outputFiles[0]?.text ?? '';
    const html = `<!doctype html><script type="importmap">{"imports":{"onnxruntime-web":"/ort/ort.min.mjs"}}</script><body>ready</body>`;
    ({ base, close } = await serveFiles({
      pages: { '/': [html, 'text/html'], '/page.js': [() => bundle, 'text/javascript'] },
      mounts: { '/ort/': ORT_DIST, '/model-tiny/': MODEL_TINY },
    }));
  });

  afterAll(async () => {
    await close();
    rmSync(profile, { recursive: true, force: true });
  });

  type PageResult = {
    device: string;
    deltas: string[];
    text?: string;
    finishReason: string;
    usage: { inputTokens: number; outputTokens: number };
    metadata: {
      mode: string;
      device: string;
      tokensPerPass: number;
      tokens: number;
      heads: number;
      minDraftProbability?: number;
    };
    greedyText?: string;
    greedyMetadata?: { mode: string; heads: number; forwardPasses: number };
    builtinError: string;
  };

  async function runPage(device: 'wasm' | 'webgpu', full: boolean): Promise<{ result: PageResult; logs: string[] }> {
    const context = await launchChromium(mkdtempSync(join(profile, 'run-')));
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const logs: string[] = [];
      page.on('console', (m) => logs.push(m.text()));
      page.on('pageerror', (e) => logs.push(String(e)));
      await page.goto(`${base}/`);
      // a string, so that vitest's transform leaves the page's dynamic import alone
      const result = (await page
        .evaluate(`import('${base}/page.js').then((m) => m.run('${device}', ${full}))`)
        .catch((error: Error) => {
          throw new Error(`${error.message}\n${logs.join('\n')}`);
        })) as PageResult;
      return { result, logs };
    } finally {
      await context.close();
    }
  }

  it('on wasm: streamText streams what generateText returns; ar runs the base-only graph', async () => {
    const { result, logs } = await runPage('wasm', true);
    expect(result.device, logs.join('\n')).toBe('wasm');
    checkStream(result);
    expect(result.deltas.join('')).toBe(result.text);
    expect(result.greedyText?.length).toBeGreaterThan(0);
    expect(result.greedyMetadata).toMatchObject({ mode: 'ar', heads: 1 });
    expect(result.builtinError).toMatch(/serve the model\/ folder of @dynamojs\/model-tiny/);
  }, 300_000);

  // WebGPU (SwiftShader) is slow and heavy on a CPU-only machine: only with DYNAMOJS_WEBGPU_TESTS=1
  // here; the consumer test (scripts/consumer-test.mjs) runs the AI SDK browser example on WebGPU in CI.
  it.skipIf(process.env.DYNAMOJS_WEBGPU_TESTS !== '1')(
    'on webgpu: streamText',
    async () => {
      const { result, logs } = await runPage('webgpu', false);
      expect(result.device, logs.join('\n')).toBe('webgpu');
      checkStream(result);
    },
    300_000,
  );

  function checkStream(result: PageResult): void {
    expect(result.metadata.device).toBe(result.device);
    expect(result.deltas.length).toBeGreaterThan(1);
    expect(result.deltas.join('').length).toBeGreaterThan(0);
    expect(result.metadata.mode).toBe('dynamo');
    // DynaMo with model-tiny's draft head: the base-only graph (1 head) plus the draft head
    expect(result.metadata.heads).toBe(1);
    expect(result.metadata.minDraftProbability).toBe(0.2);
    expect(result.metadata.tokensPerPass).toBeGreaterThan(1);
    expect(result.usage.outputTokens).toBe(result.metadata.tokens);
    expect(['stop', 'length']).toContain(result.finishReason);
    console.log(
      `chromium ${result.device}: ${result.metadata.tokens} tokens, ${result.metadata.tokensPerPass} tokens/pass; ` +
        `"${result.deltas.join('').slice(0, 60).replace(/\n/g, ' ')}…"`,
    );
  }
});
