/**
 * Where the emulator's files are, the same whether it runs from the TypeScript sources or from the electron-vite
 * build: its Python scripts and device commands are always used from src-main/emulator/ in the checkout, and its
 * Node processes start from the source (through tsx) or from the build, whichever this module runs from.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { unpackedPath } from '../paths.js';
import { EMULATOR_ENTRIES, type EmulatorEntry } from './entries.js';

/** True when this code runs from the TypeScript sources (tsx, vitest), false when it runs from out/main/. */
export const runsFromSource: boolean = fileURLToPath(import.meta.url).endsWith('.ts');

/**
 * A file in the emulator's source folder, e.g. `emulatorFile(root, 'device', 'supervise.py')`; in an installed app,
 * its copy outside app.asar, since other programs run it.
 */
export function emulatorFile(root: string, ...parts: string[]): string {
  return unpackedPath(path.join(root, 'src-main', 'emulator', ...parts));
}

/**
 * What follows `node` to run one of the emulator's processes: `--import tsx <source>` from source (run with the
 * checkout as the working directory, so `tsx` resolves), `out/main/<entry>.js` from the build.
 */
export function nodeEntryArgs(root: string, entry: EmulatorEntry): string[] {
  return runsFromSource
    ? ['--import', 'tsx', path.join(root, EMULATOR_ENTRIES[entry])]
    : [path.join(root, 'out', 'main', `${entry}.js`)];
}
