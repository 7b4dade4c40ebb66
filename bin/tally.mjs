#!/usr/bin/env node
// The `tally` command. It runs the CLI from the electron-vite build (out/main/cli.js), not through a TypeScript
// loader, so it starts in about the time Node itself takes. When the build is missing (a fresh clone) or older
// than a source file, it builds first and says so in one line on stderr; the build's own output goes to stderr
// too, so stdout stays what the command prints.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'out', 'main', 'cli.js');
/** What the build is made from: the CLI and the core, the emulator, the renderer, profiles and plans. */
const SOURCES = ['src-main', 'src-renderer', 'resources', 'electron.vite.config.ts', 'package.json'];
const LOCK = path.join(ROOT, 'out', '.build-lock');

/** Newest modification time (ms) of the files under `entry`, 0 if it does not exist. */
function newestMtime(entry) {
  let stat;
  try {
    stat = statSync(entry);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const child of readdirSync(entry, { withFileTypes: true })) {
    if (child.name === '__pycache__') continue;
    const full = path.join(entry, child.name);
    newest = Math.max(newest, child.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

function builtIsCurrent() {
  let built;
  try {
    built = statSync(CLI).mtimeMs;
  } catch {
    return false;
  }
  return SOURCES.every((s) => newestMtime(path.join(ROOT, s)) <= built);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** One build at a time: another `tally` that is building holds out/.build-lock (a directory, made atomically). */
async function withBuildLock(run) {
  mkdirSync(path.dirname(LOCK), { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      // A lock older than 5 minutes was left by a build that died.
      const age = Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 5 * 60_000) rmSync(LOCK, { recursive: true, force: true });
      else await sleep(200);
    }
  }
  try {
    return run();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

async function ensureBuilt() {
  if (builtIsCurrent()) return;
  await withBuildLock(() => {
    if (builtIsCurrent()) return; // another `tally` built it while this one waited
    process.stderr.write('tally: building first (npm run build)…\n');
    const r = spawnSync('npx', ['electron-vite', 'build'], { cwd: ROOT, stdio: ['ignore', 2, 2] });
    if (r.status !== 0)
      throw new Error(
        `the build failed (${r.error ? r.error.message : `exit ${r.status ?? r.signal}`}); run \`npm run build\` in ${ROOT} to see why`,
      );
  });
}

try {
  await ensureBuilt();
  const { main } = await import(pathToFileURL(CLI).href);
  await main(process.argv);
} catch (err) {
  process.stderr.write(`tally: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
