#!/usr/bin/env node
// Runs every vitest test once and ends with the line CI reads: "N passed, N failed[, N skipped]".
// Extra arguments go to vitest (e.g. a file filter).
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = join(tmpdir(), `dynamojs-vitest-${process.pid}`);
mkdirSync(dir, { recursive: true });
const out = join(dir, 'results.json');
const args = [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${out}`,
  ...process.argv.slice(2),
];
const run = spawnSync('npx', args, { stdio: 'inherit', env: process.env });

let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const report = JSON.parse(readFileSync(out, 'utf8'));
  passed = report.numPassedTests ?? 0;
  failed = (report.numFailedTests ?? 0) + countFilesThatFailedToRun(report);
  skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
} catch (error) {
  console.error(`Could not read vitest's JSON report (${error.message}).`);
  failed = Math.max(failed, 1);
}
if (run.status !== 0 && failed === 0) failed = 1;
// .ci/run adds up several runs (other Node versions, the consumer test): one JSON line per run.
const { DYNAMOJS_TEST_SUMMARY: summaryFile, DYNAMOJS_TEST_STAGE: stage = `vitest (node ${process.versions.node})` } =
  process.env;
if (summaryFile) appendFileSync(summaryFile, `${JSON.stringify({ stage, passed, failed, skipped })}\n`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || run.status !== 0 ? 1 : 0);

function countFilesThatFailedToRun(report) {
  // A test file that fails to load or whose hooks throw has no failed test of its own: count it once.
  return (report.testResults ?? []).filter(
    (r) => r.status === 'failed' && !(r.assertionResults ?? []).some((a) => a.status === 'failed'),
  ).length;
}
