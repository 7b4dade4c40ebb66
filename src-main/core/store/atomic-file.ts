import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** `<file>.<pid>.<12 hex>.tmp`: the temp file writeFileAtomic makes beside `file`. */
function tempPattern(file: string): RegExp {
  const base = path.basename(file).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${base}\\.(\\d+)\\.[0-9a-f]{12}\\.tmp$`);
}

/** Write a file so that a crash leaves either the old or the new content, never a torn one. */
export async function writeFileAtomic(file: string, data: string | Buffer, mode = 0o600): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await fs.open(tmp, 'w', mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  } catch (err) {
    // A failed write leaves the old file as it was and nothing beside it.
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  // Make the rename itself durable.
  const dir = await fs.open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** Is a process with this id running (on this machine, seen from this PID namespace)? */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove the temp files that writers of `file` left when they died between writing and renaming (a crash, a
 * power cut, SIGKILL). The writer's pid is in the name: files of a running process are left alone, since it may
 * be about to rename them; a dead writer's pid that a new process has taken keeps its file until that one ends.
 * Returns the names removed.
 */
export async function removeStaleTempFiles(file: string): Promise<string[]> {
  const pattern = tempPattern(file);
  let names: string[];
  try {
    names = await fs.readdir(path.dirname(file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`Cannot list ${path.dirname(file)}: ${(err as Error).message}`, { cause: err });
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = Number(pattern.exec(name)?.[1] ?? NaN);
    if (!Number.isInteger(pid) || pid === process.pid || processAlive(pid)) continue;
    // Housekeeping: a file that cannot be removed now is tried again at the next open.
    const gone = await fs.rm(path.join(path.dirname(file), name), { force: true }).then(
      () => true,
      () => false,
    );
    if (gone) removed.push(name);
  }
  return removed;
}

export type ReadResult<T> =
  | { kind: 'missing' }
  | { kind: 'ok'; value: T }
  /** The file could not be used; it was moved to `keptAt`, and nothing was overwritten. */
  | { kind: 'corrupt'; keptAt: string; reason: string };

/**
 * Read and validate a JSON file. A file that does not parse or validate is renamed aside (never deleted or
 * silently replaced) and reported to the caller.
 */
export async function readJsonFile<T>(file: string, validate: (raw: unknown) => T): Promise<ReadResult<T>> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw new Error(`Cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return { kind: 'ok', value: validate(JSON.parse(text)) };
  } catch (err) {
    const keptAt = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await fs.rename(file, keptAt);
    return { kind: 'corrupt', keptAt, reason: (err as Error).message.split('\n')[0] ?? 'invalid content' };
  }
}
