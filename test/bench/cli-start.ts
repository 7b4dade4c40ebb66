/**
 * Cold start of the `tally` command: `node bin/tally.mjs presets` with a fresh data directory each run (the
 * command opens the store, lists the presets and exits), against `node -e 0` timed in the same run, alternating,
 * so a busy machine slows both. The build is brought up to date by one unmeasured run first.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../../src-main/paths.js';
import { ms, summarize, table, type BenchReport } from './stats.js';

const run = promisify(execFile);
const TARGET_MS = 300;

/** Wall time of one child process from spawn to exit, in ms; fails if it exits non-zero. */
async function timed(args: string[], check?: (stdout: string) => void): Promise<number> {
  const start = performance.now();
  const { stdout } = await run(process.execPath, args, { cwd: packageRoot() });
  const elapsed = performance.now() - start;
  check?.(stdout);
  return elapsed;
}

export async function cliStartBench(opts: { count?: number } = {}): Promise<BenchReport> {
  const count = opts.count ?? 10;
  const tally = path.join(packageRoot(), 'bin', 'tally.mjs');
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'tally-bench-cli-'));
  const listsPresets = (stdout: string): void => {
    if (!stdout.includes('h264-hw')) throw new Error(`tally presets printed no h264-hw preset:\n${stdout}`);
  };
  try {
    let n = 0;
    const presets = (): Promise<number> =>
      timed([tally, 'presets', '--data-dir', path.join(scratch, `data-${n++}`)], listsPresets);
    const node = (): Promise<number> => timed(['-e', '0']);
    // Unmeasured: builds out/ if it is missing or stale, and warms the file cache for both.
    await presets();
    await node();
    const cli: number[] = [];
    const baseline: number[] = [];
    for (let i = 0; i < count; i++) {
      baseline.push(await node());
      cli.push(await presets());
    }
    const c = summarize(cli);
    const b = summarize(baseline);
    return {
      title: `tally presets cold start vs node -e 0, ${count} runs each, alternating`,
      lines: [
        table(
          ['command', 'median', 'p90'],
          [
            ['node -e 0', ms(b.medianMs), ms(b.p90Ms)],
            ['node bin/tally.mjs presets --data-dir <fresh>', ms(c.medianMs), ms(c.p90Ms)],
          ],
        ),
        '',
        `tally presets: median ${ms(c.medianMs)} = ${(c.medianMs / b.medianMs).toFixed(1)}× node -e 0 ` +
          `(${ms(c.medianMs - b.medianMs)} over Node's own start); target < ${TARGET_MS} ms: ` +
          `${c.medianMs < TARGET_MS ? 'met' : 'NOT met'}`,
      ],
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
