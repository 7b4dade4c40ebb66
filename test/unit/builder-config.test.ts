/**
 * The installer config (build/electron-builder.yml, loaded the way scripts/dist.mjs loads it), checked with
 * electron-builder's own code: its schema validator, and the file matchers that decide what goes into app.asar
 * and what stays unpacked beside it. The files the main process reads at run time are derived from the code (the
 * paths it builds from the package root, the emulator's scripts and what they import, the build's entries), so a
 * new resource the config does not pack fails here, not in an installed app.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMULATOR_ENTRIES } from '../../src-main/emulator/entries.js';
import { emulatorFile } from '../../src-main/emulator/files.js';
import { unpackedPath } from '../../src-main/paths.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CONFIG_FILE = 'build/electron-builder.yml';

interface BuilderConfig {
  files?: unknown;
  asarUnpack?: unknown;
  directories?: { output?: string; buildResources?: string };
  linux?: PlatformConfig;
  mac?: PlatformConfig;
  win?: PlatformConfig;
  [key: string]: unknown;
}
interface PlatformConfig {
  icon?: string;
  [key: string]: unknown;
}
interface Stat {
  isDirectory(): boolean;
}
type Filter = (file: string, stat: Stat) => boolean;
interface FileMatcher {
  createFilter(): Filter;
}
interface DebugLogger {
  isEnabled: boolean;
  add(key: string, value: unknown): void;
}
interface MatcherOptions {
  macroExpander: (s: string) => string;
  customBuildOptions: PlatformConfig;
  globalOutDir: string;
  defaultSrc: string;
}
interface ConfigModule {
  getConfig(
    projectDir: string,
    configPath: string | null,
    fromOptions: BuilderConfig,
  ): Promise<BuilderConfig>;
  validateConfiguration(config: BuilderConfig, debug: DebugLogger): Promise<void>;
}
interface FileMatcherModule {
  getMainFileMatchers(
    appDir: string,
    destination: string,
    macroExpander: (s: string) => string,
    platformOptions: PlatformConfig,
    packager: { info: PackagerInfo },
    outDir: string,
    isElectronCompile: boolean,
  ): FileMatcher[];
  getNodeModuleFileMatcher(
    appDir: string,
    destination: string,
    macroExpander: (s: string) => string,
    platformOptions: PlatformConfig,
    info: PackagerInfo,
  ): FileMatcher;
  getFileMatchers(
    config: BuilderConfig,
    name: 'asarUnpack',
    destination: string,
    options: MatcherOptions,
  ): FileMatcher[] | null;
}
interface PackagerInfo {
  projectDir: string;
  buildResourcesDir: string;
  config: BuilderConfig;
  isPrepackedAppAsar: boolean;
  debugLogger: DebugLogger;
}

// electron-builder's own modules, resolved from electron-builder as it resolves them.
const builderRequire = createRequire(createRequire(import.meta.url).resolve('electron-builder'));
const configModule = builderRequire('app-builder-lib/out/util/config/config') as ConfigModule;
const fileMatcher = builderRequire('app-builder-lib/out/fileMatcher') as FileMatcherModule;

const QUIET: DebugLogger = { isEnabled: false, add: () => undefined };
const same = (s: string): string => s;
const FILE: Stat = { isDirectory: () => false };
const PLATFORMS = ['linux', 'mac', 'win'] as const;

/** The config as `npm run dist` hands it to electron-builder (its `extends` resolved and merged). */
async function loadConfig(): Promise<BuilderConfig> {
  return configModule.getConfig(ROOT, null, { extends: CONFIG_FILE });
}

function packagerInfo(config: BuilderConfig): PackagerInfo {
  return {
    projectDir: ROOT,
    buildResourcesDir: config.directories?.buildResources ?? 'build',
    config,
    isPrepackedAppAsar: false,
    debugLogger: QUIET,
  };
}

/** electron-builder's filter for what it copies into the app (its defaults and exclusions included). */
function packedFilter(config: BuilderConfig, platform: (typeof PLATFORMS)[number]): Filter {
  const info = packagerInfo(config);
  const outDir = path.join(ROOT, config.directories?.output ?? 'dist');
  const matchers = fileMatcher.getMainFileMatchers(
    ROOT,
    ROOT,
    same,
    config[platform] ?? {},
    { info },
    outDir,
    false,
  );
  const filters = matchers.map((m) => m.createFilter());
  return (file, stat) => filters.some((f) => f(file, stat));
}

/** electron-builder's filter for the production dependencies it copies (node_modules/…). */
function modulesFilter(config: BuilderConfig, platform: (typeof PLATFORMS)[number]): Filter {
  const matcher = fileMatcher.getNodeModuleFileMatcher(
    ROOT,
    ROOT,
    same,
    config[platform] ?? {},
    packagerInfo(config),
  );
  return matcher.createFilter();
}

/** electron-builder's filter for what it leaves out of app.asar (app.asar.unpacked). */
function unpackedFilter(config: BuilderConfig): Filter {
  const matchers = fileMatcher.getFileMatchers(config, 'asarUnpack', ROOT, {
    macroExpander: same,
    customBuildOptions: {},
    globalOutDir: path.join(ROOT, config.directories?.output ?? 'dist'),
    defaultSrc: ROOT,
  });
  if (!matchers) return () => false;
  const filter = matchers[0]!.createFilter();
  return (file, stat) => filter(file, stat);
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === '__pycache__') return [];
    const full = path.join(dir, e.name);
    return e.isDirectory() ? walk(full) : [full];
  });
}

function productSources(): string[] {
  return walk(path.join(ROOT, 'src-main')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
}

/** The quoted path parts in `'a', 'b.py'` (the rest of a call's arguments). */
function literalParts(args: string): string[] {
  return [...args.matchAll(/'([^']*)'/g)].map((m) => m[1]!);
}

/** Paths under the package root that are only used from a checkout, never by an installed app. */
const CHECKOUT_ONLY = new Map([
  // `tally start` launches the checkout's Electron; an installed app is that Electron.
  ['node_modules/electron', 'src-main/cli.ts'],
]);

/** Paths (relative to the package root) that product code builds from the root, and the emulator's scripts. */
function pathsInCode(): { reads: string[]; scripts: string[] } {
  const reads = new Set<string>();
  const scripts = new Set<string>();
  for (const file of productSources()) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/emulatorFile\(\s*[\w.()]+\s*,((?:\s*'[^']*'\s*,?)+)\)/g))
      scripts.add(path.posix.join('src-main', 'emulator', ...literalParts(m[1]!)));
    for (const m of text.matchAll(/path\.join\(\s*packageRoot\(\)\s*,((?:\s*'[^']*'\s*,?)+)\)/g))
      reads.add(path.posix.join(...literalParts(m[1]!)));
    for (const m of text.matchAll(/path\.join\(((?:\s*'resources'\s*,)(?:\s*'[^']*'\s*,?)+)\)/g))
      reads.add(path.posix.join(...literalParts(m[1]!)));
    // main.ts finds its preload and renderer next to the bundle (out/main/).
    if (file.endsWith(path.join('electron', 'main.ts')))
      for (const m of text.matchAll(/path\.join\(\s*import\.meta\.dirname\s*,\s*'([^']+)'\s*\)/g))
        reads.add(path.posix.join('out', 'main', m[1]!));
  }
  for (const [dev] of CHECKOUT_ONLY) reads.delete(dev);
  return { reads: [...reads], scripts: [...scripts] };
}

/**
 * The packages product code loads at run time (static and dynamic imports, not type-only ones) that electron-vite
 * leaves outside the bundle: the production dependencies (devDependencies are bundled into out/).
 */
function importedPackages(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  const names = new Set<string>();
  for (const file of productSources()) {
    const text = readFileSync(file, 'utf8');
    const specifiers = [
      ...[...text.matchAll(/^\s*(?:import|export)(?!\s+type\s)[^;'"]*?from\s+'([^']+)'/gm)].map((m) => m[1]!),
      ...[...text.matchAll(/^\s*import\s+'([^']+)'/gm)].map((m) => m[1]!),
      ...[...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]!),
    ];
    for (const spec of specifiers) {
      if (spec.startsWith('.') || spec.startsWith('node:')) continue;
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
      if (name in pkg.dependencies) names.add(name);
    }
  }
  return [...names].sort();
}

/** A Python script's sibling modules that it imports (they must sit beside it). */
function pythonSiblings(rel: string, seen = new Set<string>()): string[] {
  if (seen.has(rel) || !rel.endsWith('.py')) return [];
  seen.add(rel);
  const text = readFileSync(path.join(ROOT, rel), 'utf8');
  for (const m of text.matchAll(/^\s*(?:from\s+(\w+)\s+import|import\s+(\w+))/gm)) {
    const sibling = path.posix.join(path.posix.dirname(rel), `${m[1] ?? m[2]}.py`);
    if (existsSync(path.join(ROOT, sibling))) pythonSiblings(sibling, seen);
  }
  return [...seen];
}

/** A path as files: a folder's files (when it exists here), else the path itself, or a file in it if it has no extension. */
function asFiles(rel: string): string[] {
  const abs = path.join(ROOT, rel);
  if (statSync(abs, { throwIfNoEntry: false })?.isDirectory())
    return walk(abs).map((f) => path.relative(ROOT, f).split(path.sep).join('/'));
  return [path.posix.extname(rel) ? rel : path.posix.join(rel, 'index.html')];
}

interface RuntimeFiles {
  /** Everything the installed app's main process (and the CLI and emulator it carries) opens at run time. */
  read: string[];
  /** The part of it that other programs run or read by path: it must be unpacked. */
  runByOthers: string[];
}

function runtimeFiles(): RuntimeFiles {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { main: string };
  const { reads, scripts } = pathsInCode();
  const entries = [
    pkg.main,
    'out/main/cli.js',
    ...Object.keys(EMULATOR_ENTRIES).map((name) => `out/main/${name}.js`),
  ];
  // The whole build, when there is one (npm test builds before the unit tests).
  const built = ['out/main', 'out/preload', 'out/renderer'].flatMap((d) =>
    existsSync(path.join(ROOT, d)) ? asFiles(d) : [],
  );
  const runByOthers = new Set<string>();
  for (const script of scripts) for (const f of pythonSiblings(script)) runByOthers.add(f);
  for (const script of scripts) runByOthers.add(script);
  const read = new Set([...entries, ...built, ...reads.flatMap(asFiles), ...runByOthers]);
  // What Tally puts on devices is a script another machine runs.
  for (const f of read) if (/\.(py|sh)$/.test(f)) runByOthers.add(f);
  return { read: [...read].sort(), runByOthers: [...runByOthers].sort() };
}

function missingFrom(filter: Filter, files: string[]): string[] {
  return files.filter((f) => !filter(path.join(ROOT, f), FILE));
}

let config: BuilderConfig;
const runtime = runtimeFiles();

beforeAll(async () => {
  config = await loadConfig();
});

describe('electron-builder config', () => {
  it("passes electron-builder's own schema validation", async () => {
    await expect(configModule.validateConfiguration(structuredClone(config), QUIET)).resolves.toBeUndefined();
  });

  it('is refused by that validation when it has an option electron-builder does not know', async () => {
    const broken = { ...structuredClone(config), linux: { ...config.linux, targets: ['deb'] } };
    await expect(configModule.validateConfiguration(broken, QUIET)).rejects.toThrow(/targets/);
  });

  it('builds AppImage and deb on Linux, dmg on macOS, nsis on Windows, from one square icon of 512 px or more', () => {
    expect(config.linux?.['target']).toEqual(['AppImage', 'deb']);
    expect(config.mac?.['target']).toBe('dmg');
    expect(config.win?.['target']).toBe('nsis');
    for (const platform of PLATFORMS) {
      const icon = readFileSync(path.join(ROOT, config[platform]?.icon ?? 'missing'));
      expect(icon.subarray(1, 4).toString('latin1')).toBe('PNG');
      const [width, height] = [icon.readUInt32BE(16), icon.readUInt32BE(20)];
      expect(width).toBe(height);
      expect(width).toBeGreaterThanOrEqual(512);
    }
  });
});

describe('what the installed app reads at run time', () => {
  it('is derived from the code: profiles, the mixer agent, the emulator scripts and what they import, the build', () => {
    expect(runtime.read).toEqual(
      expect.arrayContaining([
        'package.json',
        'out/main/index.js',
        'out/preload/index.cjs',
        'out/main/emulator-device-daemon.js',
        'resources/profiles/r58.yaml',
        'resources/device/mixer/tally_mixer.py',
        'src-main/emulator/device/supervise.py',
        'src-main/emulator/device/commands/device-command.sh',
        'src-main/emulator/device/recorder/recorder.py',
        'src-main/emulator/device/recorder/mini_yaml.py',
        'src-main/emulator/device/recorder/descriptions.py',
      ]),
    );
    expect(runtime.read.some((f) => f.startsWith('out/renderer/'))).toBe(true);
  });

  it.each(PLATFORMS)('is all packed into the %s app', (platform) => {
    expect(missingFrom(packedFilter(config, platform), runtime.read)).toEqual([]);
  });

  it.each(PLATFORMS)('has every package the code imports at run time in the %s app', (platform) => {
    const packages = importedPackages();
    expect(packages).toEqual(expect.arrayContaining(['ssh2', 'node-pty', 'zod', 'werift']));
    const filter = modulesFilter(config, platform);
    const manifests = packages.map((name) => `node_modules/${name}/package.json`);
    expect(missingFrom(filter, manifests)).toEqual([]);
  });

  it('has every script other programs run outside app.asar (asarUnpack)', () => {
    expect(missingFrom(unpackedFilter(config), runtime.runByOthers)).toEqual([]);
  });

  it('is found missing when the config drops an entry', () => {
    const files = (config.files as { filter?: string[] }[] | string[]).flatMap((f) =>
      typeof f === 'string' ? [f] : (f.filter ?? []),
    );
    const withoutProfiles = { ...config, files: files.filter((f) => !f.startsWith('resources/profiles')) };
    expect(missingFrom(packedFilter(withoutProfiles, 'linux'), runtime.read)).toContain(
      'resources/profiles/r58.yaml',
    );
    const withoutSsh2 = { ...config, files: [...files, '!**/node_modules/ssh2{,/**/*}'] };
    expect(missingFrom(modulesFilter(withoutSsh2, 'linux'), ['node_modules/ssh2/package.json'])).toEqual([
      'node_modules/ssh2/package.json',
    ]);
    const unpack = config.asarUnpack as string[];
    const withoutEmulator = { ...config, asarUnpack: unpack.filter((p) => !p.startsWith('src-main/')) };
    expect(missingFrom(unpackedFilter(withoutEmulator), runtime.runByOthers)).toContain(
      'src-main/emulator/device/supervise.py',
    );
  });

  it("points the emulator's scripts at app.asar.unpacked in an installed app, and nowhere else from a checkout", () => {
    const installed = '/opt/Tally/resources/app.asar';
    expect(emulatorFile(installed, 'device', 'supervise.py')).toBe(
      '/opt/Tally/resources/app.asar.unpacked/src-main/emulator/device/supervise.py',
    );
    expect(emulatorFile(ROOT, 'device', 'supervise.py')).toBe(
      path.join(ROOT, 'src-main', 'emulator', 'device', 'supervise.py'),
    );
    expect(unpackedPath('/home/me/app.asar.d/x.py')).toBe('/home/me/app.asar.d/x.py');
  });
});

describe('npm run dist without a reachable Electron', () => {
  // A platform other than this one, so node_modules/electron/dist (this platform's) is never picked up, an empty
  // Electron cache, and a download host that cannot resolve (.invalid, RFC 6761).
  const other = process.platform === 'win32' ? 'linux' : 'win';
  let cache: string;
  beforeAll(() => {
    cache = mkdtempSync(path.join(os.tmpdir(), 'tally-electron-cache-'));
  });
  afterAll(() => rmSync(cache, { recursive: true, force: true }));

  function dist(...args: string[]): { status: number | null; stderr: string; stdout: string } {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ELECTRON_CACHE: cache,
      ELECTRON_MIRROR: 'https://electron.invalid/',
    };
    delete env['TALLY_ELECTRON_DIST'];
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'dist.mjs'), ...args], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { status: r.status, stderr: r.stderr, stdout: r.stdout };
  }

  it('says so in one line, names electronDist, and exits non-zero before building anything', () => {
    const r = dist(other);
    expect(r.status).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^dist: cannot fetch Electron [\d.]+ for (win|linux) /);
    expect(lines[0]).toContain('--config.electronDist=');
    expect(r.stdout).toBe('');
  });

  it('refuses an electronDist folder that does not exist, in one line', () => {
    const r = dist(other, `--config.electronDist=${path.join(cache, 'nope')}`);
    expect(r.status).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/electronDist .*nope is not a folder/),
    ]);
  });

  it('refuses an unknown target with the usage exit code', () => {
    const r = dist('snapcraft');
    expect(r.status).toBe(64);
    expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/unknown argument "snapcraft"/)]);
  });
});
