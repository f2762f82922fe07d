#!/usr/bin/env node
// Adds up the runs .ci/run made — one JSON line each in the file given ({stage, passed, failed,
// skipped?}) — prints one line per run and, last, the combined line "N passed, N failed[, N
// skipped]". Exits 1 when a run failed (or none was recorded).
import { existsSync, readFileSync } from 'node:fs';

const file = process.argv[2];
const runs =
  file && existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];
let passed = 0;
let failed = 0;
let skipped = 0;
console.log('\nTest runs:');
for (const r of runs) {
  passed += r.passed ?? 0;
  failed += r.failed ?? 0;
  skipped += r.skipped ?? 0;
  const extra = r.skipped ? `, ${r.skipped} skipped` : '';
  console.log(`  ${r.stage}: ${r.passed} passed, ${r.failed} failed${extra}${r.error ? ` (${r.error})` : ''}`);
}
if (runs.length === 0) {
  console.log('  (none recorded)');
  failed = Math.max(failed, 1);
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
