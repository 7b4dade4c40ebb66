#!/usr/bin/env node
// `npm run dist [-- TARGET… ] [--x64|--arm64] [--config.electronDist=DIR] [--config.KEY=VALUE…]`: builds the app
// with electron-vite, then the installers with electron-builder (build/electron-builder.yml) into dist/.
// TARGET: linux, mac, win (each platform's targets in the config), or deb, AppImage, dmg, nsis, dir; none means
// this machine's platform. Electron itself is never fetched when a local one is at hand: --config.electronDist (or
// TALLY_ELECTRON_DIST) names a folder holding an unpacked Electron or its release zip, and for this platform
// node_modules/electron/dist is used when it is there. Otherwise electron-builder downloads it; when it cannot, this
// says so in one line before anything is built.
import { spawn, spawnSync } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { existsSync, readdirSync, readFileSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CONFIG_FILE = 'build/electron-builder.yml';
const USAGE_EXIT = 64;
const CHILD_ENV = 'TALLY_DIST_BUILDER';
const DIST_HINT = 'npm run dist -- --config.electronDist=/path/to/electron/dist (or TALLY_ELECTRON_DIST=…)';

class DistError extends Error {
  constructor(message, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** Electron's names for each platform: its release zips, the binary in an unpacked dist, electron-builder's. */
const PLATFORMS = {
  linux: { zip: 'linux', binary: 'electron', builder: 'LINUX' },
  mac: { zip: 'darwin', binary: 'Electron.app', builder: 'MAC' },
  win: { zip: 'win32', binary: 'electron.exe', builder: 'WINDOWS' },
};
const HOST = { linux: 'linux', darwin: 'mac', win32: 'win' }[process.platform];
const TARGETS = { deb: 'linux', appimage: 'linux', dmg: 'mac', nsis: 'win' };
const TARGET_NAMES = { deb: 'deb', appimage: 'AppImage', dmg: 'dmg', nsis: 'nsis' };

/** What the command line asks for: per platform the targets (null: the config's), the arch, config overrides. */
function parseArgs(argv) {
  const wanted = new Map();
  const overrides = {};
  let arch = process.arch === 'arm64' ? 'arm64' : 'x64';
  const add = (platform, target) => {
    if (!wanted.has(platform)) wanted.set(platform, target ? [] : null);
    const list = wanted.get(platform);
    if (target && list) list.push(target);
    if (!target) wanted.set(platform, null);
  };
  for (const arg of argv) {
    const config = /^--config\.([A-Za-z0-9_.]+)=(.*)$/.exec(arg);
    if (config) {
      setPath(
        overrides,
        config[1].split('.'),
        config[2] === 'true' ? true : config[2] === 'false' ? false : config[2],
      );
    } else if (arg === '--x64' || arg === '--arm64') {
      arch = arg.slice(2);
    } else if (arg in PLATFORMS) {
      add(arg, null);
    } else if (arg.toLowerCase() in TARGETS) {
      add(TARGETS[arg.toLowerCase()], TARGET_NAMES[arg.toLowerCase()]);
    } else if (arg === 'dir') {
      if (!HOST)
        throw new DistError(
          `dist: "dir" builds for this machine's platform, which Electron does not support.`,
        );
      add(HOST, 'dir');
    } else {
      throw new DistError(
        `dist: unknown argument "${arg}"; use linux, mac, win, deb, AppImage, dmg, nsis, dir, --x64, --arm64 or --config.KEY=VALUE.`,
        USAGE_EXIT,
      );
    }
  }
  if (wanted.size === 0) {
    if (!HOST)
      throw new DistError(
        `dist: no installer for this platform (${process.platform}); name one: linux, mac or win.`,
      );
    wanted.set(HOST, null);
  }
  return { wanted, arch, overrides };
}

function setPath(target, keys, value) {
  let node = target;
  for (const key of keys.slice(0, -1)) node = node[key] ??= {};
  node[keys.at(-1)] = value;
}

function electronVersion() {
  const file = path.join(ROOT, 'node_modules', 'electron', 'package.json');
  if (!existsSync(file))
    throw new DistError('dist: the electron package is not installed; run `npm ci` first.');
  return JSON.parse(readFileSync(file, 'utf8')).version;
}

const zipName = (version, platform, arch) => `electron-v${version}-${PLATFORMS[platform].zip}-${arch}.zip`;

/** Where electron-builder looks for Electron's zip before it downloads one. */
function electronCacheDir() {
  if (process.env.ELECTRON_CACHE) return process.env.ELECTRON_CACHE;
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Caches', 'electron');
  if (process.platform === 'win32')
    return path.join(
      process.env.LOCALAPPDATA ?? path.join(os.homedir(), 'AppData', 'Local'),
      'electron',
      'Cache',
    );
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'electron');
}

const isDir = (p) => statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;

/**
 * The Electron to package, checked before anything is built: a given folder must hold what each wanted platform
 * needs; without one, this platform's node_modules/electron/dist is used if present, else electron-builder will
 * download, which must be possible.
 */
async function resolveElectron(wanted, arch, overrides) {
  const version = electronVersion();
  const platforms = [...wanted.keys()];
  const given = overrides.electronDist ?? process.env.TALLY_ELECTRON_DIST;
  if (given !== undefined) {
    const dir = path.resolve(process.env.INIT_CWD ?? process.cwd(), String(given));
    if (!isDir(dir)) throw new DistError(`dist: electronDist ${dir} is not a folder; ${DIST_HINT}.`);
    for (const platform of platforms) {
      const zip = existsSync(path.join(dir, zipName(version, platform, arch)));
      const unpacked = existsSync(path.join(dir, PLATFORMS[platform].binary)) && platforms.length === 1;
      if (!zip && !unpacked)
        throw new DistError(
          `dist: electronDist ${dir} holds neither ${PLATFORMS[platform].binary} (an unpacked Electron ${version} ` +
            `for ${platform}, one platform per run) nor ${zipName(version, platform, arch)}.`,
        );
    }
    return dir;
  }
  const installed = path.join(ROOT, 'node_modules', 'electron', 'dist');
  if (
    platforms.length === 1 &&
    platforms[0] === HOST &&
    existsSync(path.join(installed, PLATFORMS[HOST].binary))
  )
    return installed;
  const missing = platforms.filter(
    (p) => !existsSync(path.join(electronCacheDir(), zipName(version, p, arch))),
  );
  if (missing.length === 0) return undefined;
  const mirror = process.env.ELECTRON_MIRROR ?? 'https://github.com/';
  const host = new URL(mirror).hostname;
  try {
    await lookup(host);
  } catch {
    throw new DistError(
      `dist: cannot fetch Electron ${version} for ${missing.join(', ')} (${host} is not reachable from this machine) ` +
        `and no local Electron is given; point it at one: ${DIST_HINT}.`,
    );
  }
  return undefined;
}

function buildApp() {
  process.stderr.write('dist: building the app (electron-vite build)…\n');
  const r = spawnSync('npx', ['electron-vite', 'build'], { cwd: ROOT, stdio: ['ignore', 2, 2] });
  if (r.status !== 0)
    throw new DistError(`dist: the build failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`}).`);
}

/** A one-line reason for a failed electron-builder run: what it could not download, or its own first line. */
function explain(text, version) {
  const offline =
    /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|getaddrinfo|no such host|dial tcp|cannot resolve/i.test(text);
  if (offline && /electron-v\d[^\s]*\.zip/.test(text))
    return `dist: cannot fetch Electron ${version} (its download host is not reachable); ${DIST_HINT}.`;
  const tool =
    /(fpm-[\d.]+[\w.-]*|appimage-[\d.]+|nsis-resources-[\d.]+|nsis-[\d.]+|winCodeSign-[\d.]+|wine-[\d.]+)/.exec(
      text,
    );
  if (offline && tool)
    return `dist: electron-builder downloads ${tool[1]} from GitHub for this target, and this machine cannot reach it.`;
  if (offline)
    return `dist: electron-builder could not download what it needs (no network): ${firstLine(text)}`;
  return `dist: ${firstLine(text)}`;
}

const firstLine = (text) =>
  text
    .split('\n')
    .map((l) => l.replace(/^\s*⨯\s*/, '').trim())
    .find((l) => l !== '') ?? 'electron-builder failed';

/**
 * electron-builder runs in a child process: its helper binary (app-builder) writes its errors, Go stack traces
 * included, straight to stdout. Its progress lines are passed on as they come; from its first error line (⨯) on,
 * the output is kept back and summed up in one line.
 */
function runBuilder(spec) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url)], {
      cwd: ROOT,
      env: { ...process.env, [CHILD_ENV]: JSON.stringify(spec) },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    let failing = false;
    const held = [];
    const onLine = (line) => {
      if (/^\s*⨯/.test(line)) failing = true;
      if (failing) held.push(line);
      else process.stdout.write(`${line}\n`);
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    let result = '';
    child.stdio[3].on('data', (chunk) => (result += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      let parsed;
      try {
        parsed = JSON.parse(result);
      } catch {
        parsed = { ok: false, message: `electron-builder stopped (${signal ?? `exit ${code}`})` };
      }
      resolve({ ...parsed, output: held.join('\n') });
    });
  });
}

/** The child: electron-builder itself, reporting its artifacts or its error as JSON on fd 3. */
async function builderChild(spec) {
  const { build, Platform, Arch } = await import('electron-builder');
  const targets = new Map();
  for (const [platform, list] of spec.wanted)
    for (const [k, v] of Platform[PLATFORMS[platform].builder].createTarget(list, Arch[spec.arch]))
      targets.set(k, v);
  let report;
  try {
    report = {
      ok: true,
      files: await build({ projectDir: ROOT, targets, config: spec.config, publish: 'never' }),
    };
  } catch (err) {
    report = { ok: false, message: err instanceof Error ? err.message : String(err) };
    process.exitCode = 1;
  }
  writeSync(3, JSON.stringify(report));
}

async function main() {
  const { wanted, arch, overrides } = parseArgs(process.argv.slice(2));
  const version = electronVersion();
  const electronDist = await resolveElectron(wanted, arch, overrides);
  buildApp();
  const config = { extends: CONFIG_FILE, ...overrides };
  if (electronDist) config.electronDist = electronDist;
  const r = await runBuilder({ wanted: [...wanted], arch, config });
  if (!r.ok) throw new DistError(explain(`${r.output}\n${r.message}`, version));
  for (const file of r.files) {
    const size = statSync(file, { throwIfNoEntry: false })?.size;
    process.stdout.write(
      `${path.relative(ROOT, file)}${size ? `  ${(size / 2 ** 20).toFixed(1)} MiB` : ''}\n`,
    );
  }
  // The dir target makes no file: name the unpacked apps instead.
  if (r.files.length === 0)
    for (const entry of readdirSync(path.join(ROOT, 'dist'), { withFileTypes: true }))
      if (entry.isDirectory() && /-unpacked$|^mac/.test(entry.name))
        process.stdout.write(`dist/${entry.name}/\n`);
}

try {
  if (process.env[CHILD_ENV]) await builderChild(JSON.parse(process.env[CHILD_ENV]));
  else await main();
} catch (err) {
  process.stderr.write(
    `${err instanceof DistError ? err.message : `dist: ${err instanceof Error ? err.message : err}`}\n`,
  );
  process.exit(err instanceof DistError ? err.exitCode : 1);
}
