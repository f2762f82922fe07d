// WebGPU in headless Chromium (SwiftShader adapter) through playwright-core: the fixture on
// onnxruntime-web's WebGPU backend against its WASM backend. Needs /usr/bin/chromium (never
// downloads a browser); skipped where it is missing.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launchChromium, serveFiles } from '../../../scripts/headless-chromium.mjs';
import { FIXTURE, MODEL_TINY } from './helpers.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const ORT_DIST = join(root, 'node_modules/onnxruntime-web/dist');

describe.skipIf(!existsSync(CHROMIUM))('webgpu in headless Chromium (playwright-core)', () => {
  let close = async () => {};
  let base = '';
  let bundle = '';
  const profile = mkdtempSync(join(tmpdir(), 'dynamo-chromium-'));

  beforeAll(async () => {
    const esbuild = await import('esbuild');
    const out = await esbuild.build({
      entryPoints: [fileURLToPath(new URL('./browser/page.ts', import.meta.url))],
      bundle: true,
      format: 'esm',
      write: false,
      platform: 'browser',
      external: ['onnxruntime-web'],
      alias: { '@dynamojs/core': join(root, 'packages/core/src/index.ts') },
      logLevel: 'silent',
    });
    bundle = out.outputFiles[0]?.text ?? '';
    const html = `<!doctype html><script type="importmap">{"imports":{"onnxruntime-web":"/ort/ort.min.mjs"}}</script><body>ready</body>`;
    ({ base, close } = await serveFiles({
      pages: { '/': [html, 'text/html'], '/page.js': [() => bundle, 'text/javascript'] },
      mounts: { '/ort/': ORT_DIST, '/model-tiny/': MODEL_TINY, '/model/': FIXTURE },
    }));
  });

  afterAll(async () => {
    await close();
    rmSync(profile, { recursive: true, force: true });
  });

  type PageResult = {
    device: string;
    report: string;
    location: string;
    treePasses: number;
    locationAfterCompact: string;
    worst: number;
    worstExtra: number;
    logitScale: number;
    headRows: number[][];
    lengthAfterSoak: number;
    liveCaches: number;
    buffers: number[];
  };

  /** Runs browser/page.ts's `run` in a fresh headless Chromium with WebGPU (SwiftShader). */
  async function runPage(
    modelPath: string,
    soak: boolean,
    variant?: string,
  ): Promise<{ result: PageResult; logs: string[] }> {
    const context = await launchChromium(mkdtempSync(join(profile, 'run-')));
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const logs: string[] = [];
      page.on('console', (m) => logs.push(m.text()));
      page.on('pageerror', (e) => logs.push(String(e)));
      await page.goto(`${base}/`);
      // a string, so that vitest's transform leaves the page's dynamic import alone
      const result = (await page.evaluate(
        `import('${base}/page.js').then((m) => m.run('${base}', '${modelPath}', ${soak}, ${JSON.stringify(variant)}))`,
      )) as PageResult;
      return { result, logs };
    } finally {
      await context.close();
    }
  }

  it('auto picks WebGPU, keeps the cache in GPU buffers, matches WASM within 1e-3 × logit scale, survives a soak', async () => {
    const { result, logs } = await runPage('/model/', true);
    expect(result.device, `${result.report}\n${logs.join('\n')}`).toBe('webgpu');
    expect(result.location).toBe('gpu-buffer');
    expect(result.worst).toBeLessThanOrEqual(1e-3 * Math.max(1, result.logitScale));
    expect(result.worstExtra).toBeLessThanOrEqual(1e-3 * Math.max(1, result.logitScale));
    expect(result.lengthAfterSoak).toBeGreaterThan(0);
    expect(result.liveCaches).toBe(1);
    console.log(
      `browser webgpu vs wasm: max |Δlogit| ${result.worst.toExponential(2)} (scale ${result.logitScale.toFixed(1)}); ` +
        `live GPU buffers at soak steps 0/100/200/300: ${result.buffers.join(' ')}`,
    );
    // flat after warm-up: leaking the 8 replaced cache tensors per step would add ~1600 buffers
    const [, b100, , b300] = result.buffers as [number, number, number, number];
    expect(b300 - b100).toBeLessThanOrEqual(16);
  }, 300_000);

  // model-tiny's graph uses com.microsoft MultiHeadAttention and SkipLayerNormalization, whose
  // onnxruntime-web WebGPU kernels differ from the WASM ones (and from onnxruntime-node's)
  it.skipIf(!existsSync(join(MODEL_TINY, 'model.onnx')))(
    "model-tiny's fused graph on WebGPU matches WASM within 1e-3 × logit scale, every head, token trees, compaction and listed head rows included",
    async () => {
      const { result, logs } = await runPage('/model-tiny/', false, 'fp32');
      expect(result.device, `${result.report}\n${logs.join('\n')}`).toBe('webgpu');
      expect(result.treePasses).toBe(1);
      expect(result.locationAfterCompact).toBe('gpu-buffer');
      expect(result.headRows).toEqual([[2, 4], []]);
      expect(result.worst).toBeLessThanOrEqual(1e-3 * Math.max(1, result.logitScale));
      expect(result.worstExtra).toBeLessThanOrEqual(1e-3 * Math.max(1, result.logitScale));
      console.log(
        `model-tiny browser webgpu vs wasm: max |Δlogit| head 0 ${result.worst.toExponential(2)}, ` +
          `extra heads ${result.worstExtra.toExponential(2)} (scale ${result.logitScale.toFixed(1)})`,
      );
    },
    300_000,
  );

  // onnxruntime-web's WebGPU MatMulNBits takes 2- and 4-bit weights only (1.30): the 8-bit graphs
  // (mixed, q8) cannot start there, so `auto` runs them on WASM and says why. When this test fails
  // because WebGPU started, 8-bit weights run on the browser's GPU: compare them as above.
  it.skipIf(!existsSync(join(MODEL_TINY, 'model_mixed.onnx')))(
    "model-tiny's mixed graph: WebGPU in the browser cannot run 8-bit MatMulNBits, auto falls back to WASM and runs it",
    async () => {
      const { result } = await runPage('/model-tiny/', false, 'mixed');
      expect(result.device).toBe('wasm');
      expect(result.report).toMatch(/webgpu: .*MatMulNBits/);
      expect(result.treePasses).toBe(1);
      expect(result.headRows).toEqual([[2, 4], []]);
    },
    300_000,
  );
});
