/**
 * The device checkout's recent history in ONE remote command: HEAD, the dirty files, the commits that touch some
 * files (newest first), the config file's text at each of them and at each one's first parent, and the git notes
 * under one notes ref. Contents come from `git cat-file --batch` over the unique blobs, so a config that did not
 * change between commits crosses the link once. Read-only: nothing here writes to the repo.
 */
import { parseSections, section, type Section } from './batch.js';
import { remotePath, sh, type ShellCommand } from './quote.js';
import { parsePorcelainZ } from './repo.js';

export interface RepoLogQuery {
  repo: string;
  /** The file whose text is read at each commit and its parent (config.yml). */
  file: string;
  /** The commits listed are those that touch any of these (config.yml, src/pipelines.py). */
  paths: string[];
  notesRef: string;
  limit: number;
}

export interface RepoLogCommit {
  sha: string;
  short: string;
  /** Author date, ISO 8601 strict. */
  date: string;
  authorName: string;
  authorEmail: string;
  /** First parent, or null for a root commit. */
  parent: string | null;
  subject: string;
  /** Blob id of `file` at this commit / at its first parent; null when the file does not exist there. */
  fileBlob: string | null;
  parentFileBlob: string | null;
}

export interface RepoLog {
  head: string | null;
  dirtyFiles: string[];
  /** `git diff HEAD -- file`: the uncommitted change to the file. */
  dirtyDiff: string;
  /** Newest first; at most `limit`. */
  commits: RepoLogCommit[];
  truncated: boolean;
  /** Blob id → text (file contents and note texts). */
  blobs: Map<string, string>;
  /** Commit → the text of its note under the notes ref. */
  notes: Map<string, string>;
}

const SHA = /^[0-9a-f]{40}$/;
const FS = '\x1f';
const NOTES_REF = /^refs\/notes\/[A-Za-z0-9._/-]{1,100}$/;

/** A problem reading the repo, for a person (the caller names the device). */
export class RepoLogError extends Error {}

/** `git log` line: sha, short, author date, name, email, parents, subject, separated by US (0x1f). */
const LOG_FORMAT = ['%H', '%h', '%aI', '%an', '%ae', '%P', '%s'].join('%x1f');

export function repoLogCommand(q: RepoLogQuery): ShellCommand {
  if (!NOTES_REF.test(q.notesRef)) throw new RepoLogError(`Not a notes ref: ${q.notesRef}`);
  if (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > 500)
    throw new RepoLogError(`A history limit is 1 to 500 commits, not ${q.limit}.`);
  const repo = remotePath(q.repo);
  const file = remotePath(q.file);
  const paths = q.paths.map((p) => remotePath(p));
  // One more than the limit tells whether there are more.
  const n = q.limit + 1;
  // safe.directory: a checkout another user owns (after a "sudo git pull" by hand) still reads, as in the probe.
  const setup = sh`cd ${repo} || exit 4
r=${repo}
g() { git -c safe.directory="$r" "$@"; }
g rev-parse --is-inside-work-tree >/dev/null 2>&1 || { echo "not a git checkout" >&2; exit 5; }
f=${file}
revs=$(g log -n ${n} --format='%H %P' -- ${paths} | while read -r c p rest; do printf '%s:%s\\n' "$c" "$f"; if [ -n "$p" ]; then printf '%s:%s\\n' "$p" "$f"; fi; done)`;
  const parts = [
    section('head', sh`g rev-parse -q --verify HEAD`),
    section('status', sh`g status --porcelain -z --untracked-files=no`),
    section('dirty-diff', sh`g diff --no-ext-diff --no-color HEAD -- "$f"`),
    section('log', sh`g log -n ${n} --format=${LOG_FORMAT} -- ${paths}`),
    section(
      'blob-of',
      sh`[ -z "$revs" ] || printf '%s\\n' "$revs" | g cat-file --batch-check='%(objectname) %(objecttype)'`,
    ),
    section('notes', sh`g notes --ref=${q.notesRef} list 2>/dev/null || true`),
    section(
      'blobs',
      sh`{ [ -z "$revs" ] || printf '%s\\n' "$revs" | g cat-file --batch-check='%(objectname) %(objecttype)' | sed -n 's/ blob$//p'; g notes --ref=${q.notesRef} list 2>/dev/null | cut -d' ' -f1; } | sort -u | g cat-file --batch`,
    ),
  ];
  return sh`${setup}
${parts.reduce((all, part) => sh`${all}; ${part}`)}`;
}

/** `git cat-file --batch` output: `<oid> <type> <size>\n<size bytes>\n`, repeated. Sizes are bytes. */
export function parseCatFileBatch(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const bytes = Buffer.from(text, 'utf8');
  let at = 0;
  while (at < bytes.length) {
    const eol = bytes.indexOf(0x0a, at);
    if (eol < 0) break;
    const header = bytes.subarray(at, eol).toString('utf8');
    const m = /^([0-9a-f]{40}) (\w+) (\d+)$/.exec(header);
    if (!m) {
      // `<oid> missing` has no body; anything else means the framing is lost: stop rather than guess.
      if (/^\S+ missing$/.test(header)) {
        at = eol + 1;
        continue;
      }
      break;
    }
    const size = Number(m[3]);
    const start = eol + 1;
    if (start + size > bytes.length) break;
    out.set(m[1] as string, bytes.subarray(start, start + size).toString('utf8'));
    at = start + size + 1;
  }
  return out;
}

function need(parts: Map<string, Section>, name: string): Section {
  const part = parts.get(name);
  if (!part || part.code === null)
    throw new RepoLogError(`the answer was cut off before "${name}" (the link may have dropped)`);
  if (part.code !== 0)
    throw new RepoLogError(
      `${name}: ${part.text.trim().split('\n').slice(-2).join(' ') || `exit ${part.code}`}`,
    );
  return part;
}

export function parseRepoLog(stdout: string, limit: number): RepoLog {
  const parts = parseSections(stdout);
  if (parts.size === 0) {
    const said = stdout.trim().split('\n').slice(-2).join(' ');
    throw new RepoLogError(said || 'the repo could not be read');
  }
  const headPart = parts.get('head');
  const head = headPart?.code === 0 && SHA.test(headPart.text.trim()) ? headPart.text.trim() : null;
  const dirtyFiles = parsePorcelainZ(need(parts, 'status').text);
  const diffPart = parts.get('dirty-diff');
  const dirtyDiff = head && diffPart?.code === 0 ? diffPart.text : '';

  const logLines = head
    ? need(parts, 'log')
        .text.split('\n')
        .filter((l) => l.length > 0)
    : [];
  const listed = logLines.map((line) => {
    const [sha = '', short = '', date = '', authorName = '', authorEmail = '', parents = '', ...rest] =
      line.split(FS);
    if (!SHA.test(sha)) throw new RepoLogError(`unexpected git log line: ${line.slice(0, 120)}`);
    const parent = parents.split(' ')[0] ?? '';
    return {
      sha,
      short,
      date,
      authorName,
      authorEmail,
      parent: SHA.test(parent) ? parent : null,
      subject: rest.join(FS),
    };
  });

  // blob-of answers one line per rev, in the order the revs were printed: the commit, then its parent if any.
  const blobLines = head
    ? need(parts, 'blob-of')
        .text.split('\n')
        .filter((l) => l.length > 0)
    : [];
  const blobOf = (line: string | undefined): string | null => {
    const m = /^([0-9a-f]{40}) blob$/.exec(line ?? '');
    return m ? (m[1] as string) : null;
  };
  let i = 0;
  const commits: RepoLogCommit[] = listed.map((c) => {
    const fileBlob = blobOf(blobLines[i++]);
    const parentFileBlob = c.parent ? blobOf(blobLines[i++]) : null;
    return { ...c, fileBlob, parentFileBlob };
  });
  if (i !== blobLines.length) throw new RepoLogError('the repo changed while it was read; read it again');

  const blobs = parseCatFileBatch(parts.get('blobs')?.text ?? '');
  const notes = new Map<string, string>();
  for (const line of (parts.get('notes')?.text ?? '').split('\n')) {
    const [note = '', commit = ''] = line.trim().split(' ');
    const text = blobs.get(note);
    if (SHA.test(commit) && text !== undefined) notes.set(commit, text);
  }
  return {
    head,
    dirtyFiles,
    dirtyDiff,
    commits: commits.slice(0, limit),
    truncated: commits.length > limit,
    blobs,
    notes,
  };
}
