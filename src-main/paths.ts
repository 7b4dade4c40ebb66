import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root, found from this file whether it runs from source (tsx) or from the electron-vite bundle. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'src-main'))) return dir;
    dir = path.dirname(dir);
  }
  return process.cwd();
}

/** Where Tally keeps its state when no --data-dir is given (the same folder Electron's userData uses on Linux). */
export function defaultDataDir(): string {
  const base = process.env['XDG_CONFIG_HOME'] || path.join(os.homedir(), '.config');
  return path.join(base, 'Tally');
}

export function rendererDir(): string {
  return path.join(packageRoot(), 'out', 'renderer');
}
