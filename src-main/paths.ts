import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root, found from this file whether it runs from source (tsx), from the electron-vite bundle, or from
 * an installed app (resources/app.asar, which electron-builder fills with the same layout): the folder with
 * package.json and resources/.
 */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'resources'))) return dir;
    dir = path.dirname(dir);
  }
  return process.cwd();
}

/**
 * A file that another program opens by its path (python3, sh, a copy made for the emulated device). Only Electron's
 * own fs reads inside app.asar, so an installed app keeps such files in app.asar.unpacked
 * (build/electron-builder.yml `asarUnpack`); from a checkout the path is unchanged.
 */
export function unpackedPath(file: string): string {
  return file.replace(/([\\/])app\.asar(?=[\\/])/, '$1app.asar.unpacked');
}

/** Where Tally keeps its state when no --data-dir is given (the same folder Electron's userData uses on Linux). */
export function defaultDataDir(): string {
  const base = process.env['XDG_CONFIG_HOME'] || path.join(os.homedir(), '.config');
  return path.join(base, 'Tally');
}

export function rendererDir(): string {
  return path.join(packageRoot(), 'out', 'renderer');
}
