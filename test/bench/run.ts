/**
 * `npm run bench`: runs every benchmark in order and prints its report. Benchmarks print against their targets;
 * they never fail the run on numbers, because shared machines are noisy. Add one by exporting a function that
 * returns a BenchReport and listing it below. BENCH_COUNT overrides the sample count.
 */
import type { BenchReport } from './stats.js';
import { classifierThroughput } from './classifier.js';
import { cliStartBench } from './cli-start.js';
import { fleetBench } from './fleet.js';
import { mixerBench } from './mixer.js';
import { previewsBench } from './previews.js';
import { rollbackBench } from './rollback.js';
import { samplerCost } from './sampler-cost.js';
import { sshRoundtrip } from './ssh-roundtrip.js';
import { uiFlood } from './ui-flood.js';
import { vpuResetBench } from './vpu-reset.js';

const count = process.env.BENCH_COUNT ? Number(process.env.BENCH_COUNT) : undefined;

const benchmarks: { name: string; run: () => Promise<BenchReport> }[] = [
  { name: 'ssh-roundtrip', run: () => sshRoundtrip(count ? { count } : {}) },
  { name: 'ui-flood', run: () => uiFlood() },
  { name: 'classifier', run: () => classifierThroughput() },
  { name: 'sampler-cost', run: () => samplerCost() },
  { name: 'previews', run: () => previewsBench() },
  { name: 'vpu-reset', run: () => vpuResetBench() },
  { name: 'cli', run: () => cliStartBench(count ? { count } : {}) },
  { name: 'rollback', run: () => rollbackBench() },
  { name: 'mixer', run: () => mixerBench() },
  { name: 'fleet', run: () => fleetBench() },
];

const only = process.argv.slice(2);
let failed = false;
for (const bench of benchmarks) {
  if (only.length > 0 && !only.includes(bench.name)) continue;
  try {
    const report = await bench.run();
    console.log(`\n== ${report.title}\n`);
    console.log(report.lines.join('\n'));
  } catch (err) {
    failed = true;
    console.error(`\n== ${bench.name} could not run: ${(err as Error).stack ?? String(err)}`);
  }
}
process.exit(failed ? 1 : 0);
