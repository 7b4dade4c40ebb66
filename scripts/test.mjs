#!/usr/bin/env node
// `npm test`: every check a change must pass, in the order that fails fastest, with one closing count line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const only = process.argv.slice(2);
const reports = mkdtempSync(path.join(os.tmpdir(), 'tally-test-'));
const steps = [
  ['typecheck', 'npx', ['tsc', '--noEmit', '-p', 'tsconfig.json']],
  ['svelte-check', 'npx', ['svelte-check', '--tsconfig', './tsconfig.json', '--fail-on-warnings']],
  ['lint', 'npx', ['eslint', '.']],
  ['format', 'npx', ['prettier', '--check', '.']],
  ['build', 'npx', ['electron-vite', 'build']],
  ...['unit', 'integration', 'e2e'].map((project) => [
    project,
    'npx',
    [
      'vitest',
      'run',
      '--project',
      project,
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${path.join(reports, `${project}.json`)}`,
    ],
  ]),
].filter(([name]) => only.length === 0 || only.includes(name));

let passed = 0;
let failed = 0;
let skipped = 0;
let ok = true;
for (const [name, cmd, args] of steps) {
  const started = Date.now();
  process.stdout.write(`\n── ${name} ──\n`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  process.stdout.write(
    `── ${name}: ${r.status === 0 ? 'ok' : `FAILED (exit ${r.status})`} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  try {
    const report = JSON.parse(readFileSync(path.join(reports, `${name}.json`), 'utf8'));
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    skipped += report.numPendingTests + report.numTodoTests;
  } catch {
    // Not a test step, or it died before writing a report.
  }
  if (r.status !== 0) {
    ok = false;
    break;
  }
}
rmSync(reports, { recursive: true, force: true });
process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(ok ? 0 : 1);
