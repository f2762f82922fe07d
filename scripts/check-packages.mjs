#!/usr/bin/env node
// Checks every publishable @dynamojs/* package after `turbo run build`:
//  1. publint (package.json / exports / files correctness),
//  2. @arethetypeswrong/cli (types resolve for node10, node16 CJS + ESM and bundlers),
//  3. the built entry points load in Node both as ESM (import) and CJS (require).
// Exits non-zero on any problem and prints one line per package.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');
const only = process.argv.slice(2);
const dirs = readdirSync(join(root, 'packages'))
  .map((d) => join(root, 'packages', d))
  .filter((d) => existsSync(join(d, 'package.json')));

let failures = 0;
for (const dir of dirs) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (pkg.private || !pkg.exports) continue;
  if (only.length && !only.includes(pkg.name)) continue;
  const problems = [];

  const pub = spawnSync('npx', ['publint', '--strict', dir], { encoding: 'utf8' });
  if (pub.status !== 0) problems.push(`publint:\n${pub.stdout}${pub.stderr}`);

  // attw: ignore "cjs-resolves-to-esm" style notes only for node-only subpaths that declare it.
  const attwArgs = ['attw', '--pack', dir, '--format', 'ascii'];
  if (pkg.attw?.profile) attwArgs.push('--profile', pkg.attw.profile);
  for (const rule of pkg.attw?.ignoreRules ?? []) attwArgs.push('--ignore-rules', rule);
  const attw = spawnSync('npx', attwArgs, { encoding: 'utf8', cwd: dir });
  if (attw.status !== 0) problems.push(`attw:\n${attw.stdout}${attw.stderr}`);

  // Load every exported entry as ESM and CJS.
  const require = createRequire(join(dir, 'package.json'));
  for (const [sub, target] of Object.entries(pkg.exports)) {
    if (sub.endsWith('.json') || typeof target !== 'object') continue;
    const spec = sub === '.' ? pkg.name : `${pkg.name}/${sub.slice(2)}`;
    const nodeTarget = target.node ?? target;
    const esm = nodeTarget.import?.default ?? nodeTarget.import ?? nodeTarget.default;
    const cjs = nodeTarget.require?.default ?? nodeTarget.require;
    try {
      if (typeof esm === 'string') await import(pathToFileURL(join(dir, esm)).href);
      if (typeof cjs === 'string') require(join(dir, cjs));
    } catch (error) {
      problems.push(`loading ${spec}: ${error.message}`);
    }
  }

  if (problems.length) {
    failures++;
    console.log(`✗ ${pkg.name}\n  ${problems.join('\n  ')}`);
  } else {
    console.log(`✓ ${pkg.name} (publint, attw, ESM + CJS load)`);
  }
}
if (failures) {
  console.error(`${failures} package(s) failed the package checks.`);
  process.exit(1);
}
