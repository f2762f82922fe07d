#!/usr/bin/env node
// Compares `dynamo bench --json` reports of two builds run interleaved (e.g. before/after a
// change): per configuration the mean tokens per pass, speed-up over its baseline and identity
// checks of each side, as a markdown table and JSON.
//
//   node scripts/bench-compare.mjs --before a1.json,a2.json --after b1.json,b2.json [--alias new=old,…] [--out cmp.json]
//
// --alias maps a configuration label of the after side to the before side's label for the same
// configuration (e.g. verified-tree@8=verified when a row was renamed).
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    before: { type: 'string' },
    after: { type: 'string' },
    alias: { type: 'string', default: '' },
    out: { type: 'string' },
  },
});
if (!values.before || !values.after) {
  console.error('usage: bench-compare.mjs --before a.json[,…] --after b.json[,…] [--alias new=old,…] [--out file]');
  process.exit(2);
}
const alias = Object.fromEntries(
  values.alias
    .split(',')
    .filter(Boolean)
    .map((p) => p.split('=')),
);

/** config label → its rows across the reports. */
function load(list) {
  const rows = new Map();
  for (const file of list.split(',')) {
    for (const row of JSON.parse(readFileSync(file, 'utf8')).rows) {
      if (!rows.has(row.config)) rows.set(row.config, []);
      rows.get(row.config).push(row);
    }
  }
  return rows;
}
const mean = (rows, key) => {
  const xs = (rows ?? []).map((r) => r[key]).filter((x) => typeof x === 'number');
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
};
const identity = (rows) =>
  rows?.[0]?.identical
    ? `${rows.reduce((s, r) => s + r.identical.identical, 0)}/${rows.reduce((s, r) => s + r.identical.compared, 0)}`
    : null;

const before = load(values.before);
const after = load(values.after);
const table = [...after].map(([config, rows]) => {
  const old = before.get(alias[config] ?? config);
  return {
    config,
    before: alias[config] ?? (old ? config : null),
    tokensPerPass: { before: mean(old, 'tokensPerPass'), after: mean(rows, 'tokensPerPass') },
    speedup: { before: mean(old, 'speedup'), after: mean(rows, 'speedup') },
    identical: { before: identity(old), after: identity(rows) },
    runs: { before: old?.reduce((s, r) => s + r.runs, 0) ?? 0, after: rows.reduce((s, r) => s + r.runs, 0) },
  };
});
const f = (x, d = 2) => (x === null ? '-' : x.toFixed(d));
const lines = [
  '| config | tokens/pass before | after | speed-up before | after | identical before | after |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...table.map(
    (r) =>
      `| ${r.config}${r.before && r.before !== r.config ? ` (before: ${r.before})` : ''} | ${f(r.tokensPerPass.before)} | ${f(r.tokensPerPass.after)} | ${r.speedup.before === null ? '-' : `${f(r.speedup.before)}x`} | ${r.speedup.after === null ? '-' : `${f(r.speedup.after)}x`} | ${r.identical.before ?? '-'} | ${r.identical.after ?? '-'} |`,
  ),
];
console.log(lines.join('\n'));
if (values.out)
  writeFileSync(
    values.out,
    `${JSON.stringify({ before: values.before, after: values.after, rows: table }, null, 2)}\n`,
  );
