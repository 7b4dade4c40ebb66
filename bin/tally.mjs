#!/usr/bin/env node
// The `tally` command. It runs the TypeScript sources through tsx, so the CLI and the core are the same code
// the tests exercise.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src-main/cli.ts');
try {
  await main(process.argv);
} catch (err) {
  process.stderr.write(`tally: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
