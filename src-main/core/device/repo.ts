/**
 * Git on the device: the recorder checkout (`/opt/preke-r58-recorder` on the R58) is where config.yml lives and
 * where every change Tally makes is committed, so each one has a way back. Runs as the login user, who owns the
 * checkout; nothing here needs sudo.
 */
import { ContractError } from '../../contract/index.js';
import { commitId, remotePath, sh, type ShellCommand } from './quote.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';

export interface RepoState {
  /** Full sha of HEAD, or null for a repository without commits. */
  head: string | null;
  subject: string | null;
  /** Tracked files with changes not committed (staged or not). Untracked files are left out: nothing Tally
   * writes can overwrite them. */
  dirtyFiles: string[];
}

export interface RepoFile {
  text: string;
  /** `git hash-object` of the file as read, so a later write can check nobody changed it in between. */
  blob: string;
}

export interface CommitInfo {
  sha: string;
  subject: string;
}

export interface CommitAuthor {
  name: string;
  email: string;
}

const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
const TIMEOUT_MS = 20_000;

/** Exit code the write script uses when the file changed under us. */
const CHANGED_UNDER_US = 3;

function dirOf(file: string): string {
  const slash = file.lastIndexOf('/');
  return slash < 0 ? '.' : file.slice(0, slash);
}

function baseOf(file: string): string {
  return file.slice(file.lastIndexOf('/') + 1);
}

/** `git status --porcelain -z`: `XY path\0`, and for renames and copies a second `\0`-terminated path. */
export function parsePorcelainZ(out: string): string[] {
  const files: string[] = [];
  const parts = out.split('\0');
  for (let i = 0; i < parts.length; i++) {
    const entry = parts[i] ?? '';
    if (entry.length < 4) continue;
    const xy = entry.slice(0, 2);
    files.push(entry.slice(3));
    if (xy.includes('R') || xy.includes('C')) i++;
  }
  return files;
}

export class DeviceRepo {
  constructor(
    private readonly connections: ConnectionManager,
    private readonly deviceName: (deviceId: string) => string,
  ) {}

  private async run(
    deviceId: string,
    cmd: ShellCommand,
    stdin?: string,
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const r = await this.connections.exec(deviceId, cmd, {
      timeoutMs: TIMEOUT_MS,
      ...(stdin !== undefined ? { stdin } : {}),
    });
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  }

  private fail(deviceId: string, what: string, r: { code: number | null; stderr: string }): ContractError {
    const reason = r.stderr.trim().split('\n').slice(-3).join(' ') || `exit ${r.code ?? 'unknown'}`;
    return new ContractError('device_error', `${what} on ${this.deviceName(deviceId)} failed: ${reason}`);
  }

  async state(deviceId: string, repo: string): Promise<RepoState> {
    const dir = remotePath(repo);
    const r = await this.run(
      deviceId,
      sh`cd ${dir} || exit 4
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || { echo "not a git checkout" >&2; exit 5; }
git log -1 --format=%H%x00%s 2>/dev/null; printf '\\036'
git status --porcelain -z --untracked-files=no`,
    );
    if (r.code !== 0) throw this.fail(deviceId, `Reading the git state of ${repo}`, r);
    const [log = '', status = ''] = r.stdout.split('\x1e');
    const [sha = '', subject = ''] = log.replace(/\n$/, '').split('\0');
    return {
      head: SHA.test(sha) ? sha : null,
      subject: SHA.test(sha) ? subject : null,
      dirtyFiles: parsePorcelainZ(status),
    };
  }

  async readFile(deviceId: string, repo: string, file: string): Promise<RepoFile> {
    const dir = remotePath(repo);
    const r = await this.run(
      deviceId,
      sh`cd ${dir} && git hash-object -- ${remotePath(file)} && cat -- ${file}`,
    );
    if (r.code !== 0) throw this.fail(deviceId, `Reading ${repo}/${file}`, r);
    const newline = r.stdout.indexOf('\n');
    const blob = r.stdout.slice(0, newline);
    if (!SHA.test(blob)) throw this.fail(deviceId, `Hashing ${repo}/${file}`, { code: r.code, stderr: blob });
    return { text: r.stdout.slice(newline + 1), blob };
  }

  /** Resolve a (possibly short) commit id to its full sha and subject. */
  async resolve(deviceId: string, repo: string, commit: string): Promise<CommitInfo> {
    const r = await this.run(
      deviceId,
      sh`git -C ${remotePath(repo)} log -1 --format=%H%x00%s ${`${commitId(commit)}^{commit}`} --`,
    );
    const [sha = '', subject = ''] = r.stdout.replace(/\n$/, '').split('\0');
    if (r.code !== 0 || !SHA.test(sha))
      throw new ContractError(
        'not_found',
        `${this.deviceName(deviceId)} has no commit ${commit} in ${repo}${r.stderr.trim() ? ` (${r.stderr.trim().split('\n')[0]})` : ''}.`,
      );
    return { sha, subject };
  }

  /** The file as it was at `commit`. */
  async fileAt(deviceId: string, repo: string, commit: string, file: string): Promise<string> {
    const r = await this.run(
      deviceId,
      sh`git -C ${remotePath(repo)} show ${`${commitId(commit)}:${remotePath(file)}`}`,
    );
    if (r.code !== 0)
      throw new ContractError(
        'not_found',
        `${file} does not exist at ${commit.slice(0, 7)} on ${this.deviceName(deviceId)}: ${r.stderr.trim().split('\n')[0] ?? ''}`,
      );
    return r.stdout;
  }

  /**
   * Replace the file atomically: the text goes through stdin into a temp file next to it, which then replaces it
   * with `mv` (one rename). Refuses when the file is no longer the one read (`expectBlob`), so a change made on
   * the device in between is never overwritten.
   */
  async writeFile(
    deviceId: string,
    repo: string,
    file: string,
    text: string,
    expectBlob: string,
  ): Promise<void> {
    if (!SHA.test(expectBlob)) throw new ContractError('internal', `Not a blob id: ${expectBlob}`);
    const target = remotePath(file);
    const template = `${dirOf(target)}/.${baseOf(target)}.tally-XXXXXX`;
    const r = await this.run(
      deviceId,
      sh`cd ${remotePath(repo)} || exit 1
[ "$(git hash-object -- ${target})" = ${expectBlob} ] || { echo "it changed on the device since Tally read it" >&2; exit ${CHANGED_UNDER_US}; }
t=$(mktemp ${template}) || exit 1
trap 'rm -f "$t"' EXIT
cat > "$t" && chmod --reference=${target} "$t" && sync "$t" && mv -f "$t" ${target}`,
      text,
    );
    if (r.code === CHANGED_UNDER_US)
      throw new ContractError(
        'conflict',
        `${repo}/${file} on ${this.deviceName(deviceId)} changed since Tally read it; it was left as it is. Preview the change again.`,
      );
    if (r.code !== 0) throw this.fail(deviceId, `Writing ${repo}/${file}`, r);
  }

  /** Commit only `file` (other staged changes stay out of it). Returns the new HEAD. */
  async commit(
    deviceId: string,
    repo: string,
    file: string,
    message: string,
    author: CommitAuthor,
  ): Promise<string> {
    const dir = remotePath(repo);
    const r = await this.run(
      deviceId,
      sh`git -C ${dir} -c user.name=${author.name} -c user.email=${author.email} -c commit.gpgsign=false commit -q -F - -- ${remotePath(file)} && git -C ${dir} rev-parse HEAD`,
      message.endsWith('\n') ? message : `${message}\n`,
    );
    const sha = r.stdout.trim().split('\n').at(-1) ?? '';
    if (r.code !== 0 || !SHA.test(sha)) throw this.fail(deviceId, `Committing ${file} in ${repo}`, r);
    return sha;
  }
}
