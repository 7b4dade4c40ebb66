import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** Write a file so that a crash leaves either the old or the new content, never a torn one. */
export async function writeFileAtomic(file: string, data: string | Buffer, mode = 0o600): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await fs.open(tmp, 'w', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, file);
  // Make the rename itself durable.
  const dir = await fs.open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
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
