#!/usr/bin/env node
// What a user gets from the published packages: packs every publishable @dynamojs/* package
// (npm pack, after the build), installs the tarballs into a fresh project OUTSIDE the workspace —
// with onnxruntime-node / onnxruntime-web, `ai` and Vite from the npm registry, and the CUDA
// download of onnxruntime-node skipped as the README's .npmrc does — and runs the documentation's
// examples there, as written:
//   - docs/getting-started.md "In Node" (ESM, and the same code as CommonJS), "With the AI SDK";
//     docs/ai-sdk.md "In Node" (ESM and CommonJS) — on every Node given (--node, repeatable; the
//     Node running this script first);
//   - the CLI line of docs/getting-started.md (`npx @dynamojs/cli generate …`) and `npx dynamo`;
//   - docs/getting-started.md "In the browser" and docs/ai-sdk.md "In the browser", bundled with
//     Vite and run in headless Chromium (Debian's /usr/bin/chromium through playwright-core; never a
//     downloaded browser) on WASM and on WebGPU (SwiftShader);
//   - and checks that the published code's messages do not point into this repository's files.
// Ends with the line "N passed, N failed" (and appends {stage, passed, failed} to the JSON-lines file
// $DYNAMOJS_TEST_SUMMARY when set; the stage is --stage NAME, else $DYNAMOJS_TEST_STAGE). Options:
// --node PATH (repeatable), --skip-browser, --keep (leave the project in place), --stage NAME.
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CHROMIUM, launchChromium, serveFiles } from './headless-chromium.mjs';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    node: { type: 'string', multiple: true, default: [] },
    'skip-browser': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    stage: { type: 'string' },
  },
});
const {
  DYNAMOJS_TEST_SUMMARY: summaryFile,
  DYNAMOJS_TEST_STAGE: stageName = `consumer test (node ${process.versions.node})`,
} = process.env;
const stage = values.stage ?? stageName;
const nodes = [process.execPath, ...values.node.map((p) => resolve(p))];
const work = mkdtempSync(join(tmpdir(), 'dynamojs-consumer-'));
const app = join(work, 'app');
const started = Date.now();
const results = [];

function log(message) {
  process.stdout.write(`[consumer] ${message}\n`);
}

/** Runs one named check; a thrown error fails it. Returns whether it passed. */
async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    log(`✓ ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    return true;
  } catch (error) {
    results.push({ name, ok: false, error: error?.message ?? String(error) });
    log(`✗ ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n${indent(error?.message ?? String(error))}`);
    return false;
  }
}

function indent(text) {
  return String(text)
    .trimEnd()
    .split('\n')
    .slice(-40)
    .map((l) => `    ${l}`)
    .join('\n');
}

/** Runs a command; throws with its output when it fails. */
function run(command, args, options = {}) {
  const r = spawnSync(command, args, {
    cwd: app,
    encoding: 'utf8',
    timeout: options.timeout ?? 300_000,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, ...options.env },
  });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.error || r.status !== 0) {
    throw new Error(
      `${basename(command)} ${args.join(' ')} → ${r.error?.message ?? `exit ${r.status}`}\n${output.slice(-4000)}`,
    );
  }
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** The ```ts blocks of a markdown section (`## heading` up to the next `## `). */
function codeBlocks(file, heading) {
  const text = readFileSync(join(root, file), 'utf8');
  const start = text.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`${file} has no section "## ${heading}"`);
  const end = text.indexOf('\n## ', start + 4);
  const section = text.slice(start, end < 0 ? undefined : end);
  const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  if (blocks.length === 0) throw new Error(`${file} "## ${heading}" has no ts code block`);
  return blocks;
}

let esbuild;
/** TypeScript → JavaScript (type annotations and `!` stripped), as the user's toolchain would. */
async function toJs(ts) {
  esbuild ??= await import('esbuild');
  return (await esbuild.transform(ts, { loader: 'ts', format: 'esm', target: 'es2022' })).code;
}

/** The same program as CommonJS: imports → require(), the rest in an async function. */
function toCommonJs(esm) {
  const requires = [];
  const body = [];
  for (const line of esm.split('\n')) {
    const named = /^import\s+\{([^}]*)\}\s+from\s+(['"][^'"]+['"]);?\s*$/.exec(line);
    const star = /^import\s+\*\s+as\s+(\w+)\s+from\s+(['"][^'"]+['"]);?\s*$/.exec(line);
    if (named) requires.push(`const {${named[1].replace(/\bas\b/g, ':')}} = require(${named[2]});`);
    else if (star) requires.push(`const ${star[1]} = require(${star[2]});`);
    else if (/^import\s/.test(line)) throw new Error(`cannot turn this import into require(): ${line}`);
    else body.push(line);
  }
  return `'use strict';\n${requires.join('\n')}\n(async () => {\n${body.join('\n')}\n})().catch((error) => {\n  console.error(error);\n  process.exitCode = 1;\n});\n`;
}

function installedVersion(name) {
  return JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
}

async function nodeExamples() {
  const examples = [
    ['getting-started "In Node"', await toJs(codeBlocks('docs/getting-started.md', 'In Node')[0]), /\S/],
    [
      'getting-started "With the AI SDK"',
      await toJs(codeBlocks('docs/getting-started.md', 'With the AI SDK')[0]),
      /\S/,
    ],
    ['docs/ai-sdk.md "In Node"', await toJs(codeBlocks('docs/ai-sdk.md', 'In Node')[0]), /tokensPerPass/],
  ];
  for (const [i, [, code]] of examples.entries()) {
    writeFileSync(join(app, `example-${i}.mjs`), code);
    writeFileSync(join(app, `example-${i}.cjs`), toCommonJs(code));
  }
  for (const node of nodes) {
    const version = run(node, ['--version']).stdout.trim();
    for (const [i, [name, , expected]] of examples.entries()) {
      for (const ext of ['mjs', 'cjs']) {
        await check(`${name} (${ext === 'mjs' ? 'ESM' : 'CommonJS'}) on Node ${version}`, () => {
          const { stdout } = run(node, [`example-${i}.${ext}`], { env: { AI_SDK_LOG_WARNINGS: 'false' } });
          if (!expected.test(stdout)) throw new Error(`unexpected output:\n${stdout.slice(-2000)}`);
        });
      }
    }
  }
}

async function cli() {
  const env = { PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}` };
  const line = /`(npx @dynamojs\/cli [^`]+)`/.exec(readFileSync(join(root, 'docs/getting-started.md'), 'utf8'))?.[1];
  await check(`getting-started: ${line}`, () => {
    if (!line) throw new Error('docs/getting-started.md shows no `npx @dynamojs/cli …` line');
    const args = [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]);
    const { stdout } = run(args[0], args.slice(1), { env });
    if (!stdout.startsWith('The meaning of life is')) throw new Error(`unexpected output: ${stdout.slice(0, 500)}`);
  });
  await check('npx dynamo generate --mode verified --greedy --max-tokens 16', () => {
    const { stderr } = run(
      'npx',
      ['dynamo', 'generate', 'Hello', '--mode', 'verified', '--greedy', '--max-tokens', '16'],
      {
        env,
      },
    );
    if (!/tokens\/s/.test(stderr)) throw new Error(`no statistics line on stderr:\n${stderr.slice(-1000)}`);
  });
}

/** The published JavaScript must not send users to files of this repository. */
function distStrings() {
  const scope = join(app, 'node_modules/@dynamojs');
  const bad = [];
  for (const pkg of readdirSync(scope)) {
    const dist = join(scope, pkg, 'dist');
    if (!existsSync(dist)) continue;
    for (const file of readdirSync(dist)) {
      if (!/\.(c?js|mjs)$/.test(file)) continue;
      const text = readFileSync(join(dist, file), 'utf8');
      for (const m of text.matchAll(/this repo(?:sitory)?'s|(?<!blob\/main\/)\bdocs\/[\w-]+\.md|\bnpm run \w+/g)) {
        bad.push(`@dynamojs/${pkg}/dist/${file}: "${text.slice(Math.max(0, m.index - 60), m.index + 60)}"`);
      }
    }
  }
  // the bin shim's "not built" hint only shows in a source checkout
  const relevant = bad.filter((b) => !b.includes('/cli/dist/') || !b.includes('npm run build'));
  if (relevant.length > 0) throw new Error(relevant.join('\n'));
}

async function browser() {
  if (!existsSync(CHROMIUM)) {
    await check('browser examples', () => {
      throw new Error(`${CHROMIUM} is missing (scripts/install-system-deps.sh installs it)`);
    });
    return;
  }
  const web = join(app, 'web');
  mkdirSync(join(web, 'public'), { recursive: true });
  // as the docs say: serve the model folder and onnxruntime-web's wasm files from the site
  cpSync(join(app, 'node_modules/@dynamojs/model-tiny/model'), join(web, 'public/model'), { recursive: true });
  mkdirSync(join(web, 'public/ort'), { recursive: true });
  for (const f of ['ort-wasm-simd-threaded.jsep.mjs', 'ort-wasm-simd-threaded.jsep.wasm']) {
    cpSync(join(app, 'node_modules/onnxruntime-web/dist', f), join(web, 'public/ort', f));
  }
  const pages = {
    'getting-started': {
      code: codeBlocks('docs/getting-started.md', 'In the browser')[0],
      done: 'window.__dynamojs = { text: out.textContent, device: model.metadata.device };',
    },
    'ai-sdk': {
      code: codeBlocks('docs/ai-sdk.md', 'In the browser')[0],
      done: 'window.__dynamojs = { text: out.textContent, device: (await result.providerMetadata)?.dynamojs?.device };',
    },
  };
  for (const [name, page] of Object.entries(pages)) {
    writeFileSync(
      join(web, `${name}.html`),
      `<!doctype html><html><body><pre id="out"></pre><script type="module" src="./${name}.ts"></script></body></html>\n`,
    );
    writeFileSync(
      join(web, `${name}.ts`),
      `// docs example, as written\n${page.code}\n// test harness: what the page produced\n${page.done.replace('window.', '(window as any).')}\n`,
    );
  }
  writeFileSync(
    join(web, 'vite.config.mjs'),
    `export default {\n  root: ${JSON.stringify(web)},\n  logLevel: 'warn',\n  build: {\n    target: 'esnext',\n    outDir: 'dist',\n    rollupOptions: { input: { gs: 'getting-started.html', ai: 'ai-sdk.html' } },\n  },\n};\n`,
  );
  const built = await check('vite build (the two browser examples)', () => {
    run(join(app, 'node_modules/.bin/vite'), ['build', '--config', join(web, 'vite.config.mjs')], {
      env: { PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}` },
    });
  });
  if (!built) return;

  const dist = join(web, 'dist');
  const { base, close } = await serveFiles({ mounts: { '/': dist } });
  try {
    for (const device of ['wasm', 'webgpu']) {
      for (const name of Object.keys(pages)) {
        await check(`browser: ${name} example on ${device} (Vite bundle, headless Chromium)`, async () => {
          const profile = mkdtempSync(join(work, 'chromium-'));
          const context = await launchChromium(profile, { webgpu: device === 'webgpu' });
          try {
            const page = context.pages()[0] ?? (await context.newPage());
            const errors = [];
            page.on('pageerror', (e) => errors.push(String(e)));
            page.on('console', (m) => {
              if (m.type() === 'error') errors.push(m.text());
            });
            await page.goto(`${base}/${name}.html`);
            await page
              .waitForFunction(() => window.__dynamojs !== undefined, undefined, { timeout: 240_000 })
              .catch((error) => {
                throw new Error(`${error.message}\n${errors.join('\n')}`);
              });
            const result = await page.evaluate(() => window.__dynamojs);
            if (result.device !== device)
              throw new Error(`ran on ${result.device}, not ${device}\n${errors.join('\n')}`);
            if (!result.text || result.text.trim().length === 0) throw new Error('no text was generated');
            log(`  ${name} on ${device}: "${result.text.slice(0, 60).replace(/\n/g, ' ')}…"`);
          } finally {
            await context.close();
          }
        });
      }
    }
  } finally {
    await close();
  }
}

try {
  const tarballs = join(work, 'tarballs');
  mkdirSync(tarballs, { recursive: true });
  mkdirSync(app, { recursive: true });
  let packed = [];
  const ok = await check('npm pack every publishable package', () => {
    const dirs = readdirSync(join(root, 'packages'))
      .map((d) => join(root, 'packages', d))
      .filter((d) => existsSync(join(d, 'package.json')))
      .filter((d) => {
        const pkg = JSON.parse(readFileSync(join(d, 'package.json'), 'utf8'));
        return !pkg.private && pkg.exports;
      });
    for (const d of dirs) {
      if (!existsSync(join(d, 'dist'))) throw new Error(`${d}/dist is missing: build first (npm run build)`);
    }
    const { stdout } = run('npm', ['pack', '--json', '--pack-destination', tarballs, ...dirs], { timeout: 600_000 });
    packed = JSON.parse(stdout.slice(stdout.indexOf('['))).map((p) => join(tarballs, p.filename));
    log(`  ${packed.map((p) => basename(p)).join(', ')}`);
  });
  const installed =
    ok &&
    (await check('npm install the tarballs into a fresh project (onnxruntime, ai, vite from npm)', () => {
      writeFileSync(
        join(app, 'package.json'),
        `${JSON.stringify({ name: 'dynamojs-consumer-test', private: true, version: '1.0.0' }, null, 2)}\n`,
      );
      // as README.md says: onnxruntime-node's CUDA libraries come from outside the npm registry
      writeFileSync(join(app, '.npmrc'), 'onnxruntime-node-install=skip\nfund=false\naudit=false\n');
      const deps = ['onnxruntime-node', 'onnxruntime-web', 'ai', 'vite'].map((n) => `${n}@${installedVersion(n)}`);
      run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...packed, ...deps], { timeout: 900_000 });
    }));
  if (installed) {
    await check('published code has no references to this repository', distStrings);
    await nodeExamples();
    await cli();
    if (!values['skip-browser']) await browser();
  }
} finally {
  if (values.keep) log(`project kept in ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
log(`${stage}: ${Math.round((Date.now() - started) / 1000)} s`);
if (summaryFile) appendFileSync(summaryFile, `${JSON.stringify({ stage, passed, failed })}\n`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
