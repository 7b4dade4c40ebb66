/**
 * Create `/opt/preke-r58-recorder` (or any dir) as a git repository with the recorder's December 2025 history.
 *
 * Runs `git` with the host's git but none of its config (no global or system config), so the ids are the same on
 * every run for the same options. The tree is then chowned to the device user, who runs git there later.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { recorderHistory, type CommitKey, type HistoryOptions } from './history.js';

const run = promisify(execFile);

export const RECORDER_REPO_DIR = '/opt/preke-r58-recorder';
export const REPO_AUTHOR = { name: 'Preke R58', email: 'dev@preke.no' };

export interface CreateRecorderRepoOptions extends HistoryOptions {
  /** Owner of the tree afterwards (the device user); left as is when absent. */
  uid?: number;
  gid?: number;
}

export interface RecorderCommit {
  key: CommitKey;
  sha: string;
  short: string;
  subject: string;
  date: string;
}

export interface RecorderRepo {
  dir: string;
  head: string;
  /** Oldest first. */
  commits: RecorderCommit[];
  /** Commit by its role in the story, e.g. `byKey.h265doc` is the last H.265 commit (seed 001 rollback target). */
  byKey: Record<CommitKey, RecorderCommit>;
}

function gitEnv(date?: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: '/nonexistent',
    LANG: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: REPO_AUTHOR.name,
    GIT_AUTHOR_EMAIL: REPO_AUTHOR.email,
    GIT_COMMITTER_NAME: REPO_AUTHOR.name,
    GIT_COMMITTER_EMAIL: REPO_AUTHOR.email,
    ...(date ? { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } : {}),
  };
}

async function git(dir: string, args: string[], date?: string): Promise<string> {
  const { stdout } = await run('git', args, { cwd: dir, env: gitEnv(date) });
  return stdout.trim();
}

async function listFiles(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(path.join(root, rel), { withFileTypes: true })) {
    if (rel === '' && entry.name === '.git') continue;
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(root, child)));
    else out.push(child);
  }
  return out;
}

async function writeTree(dir: string, files: Record<string, string>): Promise<void> {
  for (const existing of await listFiles(dir)) {
    if (!(existing in files)) await fs.rm(path.join(dir, existing));
  }
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, content);
  }
}

async function chownTree(target: string, uid: number, gid: number): Promise<void> {
  await fs.lchown(target, uid, gid);
  const stat = await fs.lstat(target);
  if (!stat.isDirectory()) return;
  for (const entry of await fs.readdir(target)) await chownTree(path.join(target, entry), uid, gid);
}

/** Build the repository in `dir` (created if missing; must be empty). */
export async function createRecorderRepo(
  dir: string,
  options: CreateRecorderRepoOptions,
): Promise<RecorderRepo> {
  await fs.mkdir(dir, { recursive: true });
  if ((await fs.readdir(dir)).length > 0) throw new Error(`${dir} is not empty`);
  await git(dir, ['init', '--quiet', '--initial-branch=main']);
  await git(dir, ['config', 'core.fileMode', 'true']);

  const commits: RecorderCommit[] = [];
  for (const step of recorderHistory(options)) {
    await writeTree(dir, step.files);
    await git(dir, ['add', '--all']);
    const message = step.body ? `${step.subject}\n\n${step.body}\n` : `${step.subject}\n`;
    await git(dir, ['commit', '--quiet', '--no-verify', '--no-gpg-sign', '-m', message], step.date);
    const sha = await git(dir, ['rev-parse', 'HEAD']);
    commits.push({ key: step.key, sha, short: sha.slice(0, 7), subject: step.subject, date: step.date });
  }
  await git(dir, ['gc', '--quiet', '--prune=now']);

  if (options.uid !== undefined && options.gid !== undefined) await chownTree(dir, options.uid, options.gid);

  const byKey = Object.fromEntries(commits.map((c) => [c.key, c])) as Record<CommitKey, RecorderCommit>;
  const head = commits[commits.length - 1]?.sha ?? '';
  return { dir, head, commits, byKey };
}
