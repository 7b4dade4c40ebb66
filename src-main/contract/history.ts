import { z } from 'zod';

const Sha = z.string().regex(/^[0-9a-f]{40}$/, 'a full 40-digit commit id');

/**
 * Where qualification results live on the device: git notes under this ref, attached to the commit that was
 * qualified. Notes are refs of their own, so a `git reset` or a rollback never loses them, and every console that
 * reads the repo sees the same results.
 */
export const QUALIFY_NOTES_REF = 'refs/notes/tally-qualify';

/**
 * One qualification result, as the qualification job writes it: one JSON object on one line of the commit's note
 * (`git notes --ref=refs/notes/tally-qualify append -m '<json>' <commit>`). A commit qualified several times has
 * several lines; the newest `date` decides its badge. Lines that are not this shape are skipped and counted, never
 * fatal: a note written by hand must not hide the history.
 *
 *   {"schema":1,"commit":"<40 hex>","encoder":"mpph264enc qp-init=26 …","kernel":"5.10.160-rockchip-rk3588",
 *    "variant":"quick","date":"2026-12-06T02:30:00.000Z","verdict":"fail",
 *    "reason":"Test 1: Internal error: Oops …","evidence":"Test 1 30 s: 0 frames, 1 Oops; VPU sessions 1"}
 */
export const QualificationNote = z.object({
  /** The format's version; a later format gets a new number. */
  schema: z.literal(1),
  /** The commit that was qualified (the note's own commit). */
  commit: Sha,
  /** The encoder line that ran, as `encoderToText` writes it (per camera summary when they differ). */
  encoder: z.string().min(1).max(2000),
  /** `uname -r` on the device when it ran. */
  kernel: z.string().min(1).max(200),
  /** full: seed 000's durations (30 s, 5 min, RTSP push); quick: the short demo/test variant. */
  variant: z.enum(['full', 'quick']),
  /** ISO 8601 time the run ended. */
  date: z.iso.datetime({ offset: true }),
  verdict: z.enum(['pass', 'fail']),
  /** Why it failed, for a person (the first fault); null when it passed. */
  reason: z.string().max(2000).nullable(),
  /** A short summary of the evidence (tests, kernel lines, sessions, rates); the full report stays in the console. */
  evidence: z.string().max(4000),
});
export type QualificationNote = z.infer<typeof QualificationNote>;

export const HistoryCameraEncoder = z.object({ camera: z.string(), encoder: z.string() });

export const HistoryCommit = z.object({
  sha: Sha,
  short: z.string(),
  subject: z.string(),
  /** Author date, ISO 8601 with the author's offset. */
  date: z.string(),
  author: z.object({ name: z.string(), email: z.string() }),
  /** The encoder config.yml selects at this commit, one line: the shared one, or `cam0, cam1: …; cam3: …`. */
  encoder: z.string().nullable(),
  /** The encoder of each camera at this commit. */
  encoders: z.array(HistoryCameraEncoder),
  /** Why config.yml could not be read at this commit (missing, not the recorder's shape); null when it could. */
  configProblem: z.string().nullable(),
  /** Whether this commit changed config.yml (otherwise only the pipelines file). */
  configChanged: z.boolean(),
  /** Unified diff of config.yml against the commit before (its first parent); empty when it did not change. */
  diff: z.string(),
  head: z.boolean(),
  /** `tally`: written by Tally (subject `Tally: …`, author tally@localhost); `hand`: anything else. */
  madeBy: z.enum(['tally', 'hand']),
  /** Qualification results for this commit, newest first (from the notes ref). */
  qualifications: z.array(QualificationNote),
  /** The known-dangerous encoder this commit selects (seed 000's panic config), or null. */
  danger: z.object({ camera: z.string(), reason: z.string(), seed: z.string() }).nullable(),
});
export type HistoryCommit = z.infer<typeof HistoryCommit>;

export const History = z.object({
  deviceId: z.string(),
  repo: z.string(),
  /** The files whose commits are listed (the profile's config and pipelines files). */
  files: z.array(z.string()),
  /** Full sha of HEAD, null for a repo without commits. */
  head: z.string().nullable(),
  /** Tracked files changed on the device and not committed. Shown; Tally never touches them. */
  dirtyFiles: z.array(z.string()),
  /** The uncommitted change to config.yml (working tree against HEAD); empty when there is none. */
  dirtyDiff: z.string(),
  /** Newest first, at most `limit`. */
  commits: z.array(HistoryCommit),
  limit: z.number().int(),
  /** More commits touch these files than `limit`. */
  truncated: z.boolean(),
  /** Lines of the notes ref that are not a QualificationNote (skipped). */
  unreadableNotes: z.number().int(),
});
export type History = z.infer<typeof History>;

export const HistoryRef = z.object({ deviceId: z.string().min(1).max(64) });

export type HistoryBadgeId = 'head' | 'known-good' | 'failed' | 'tally' | 'hand' | 'dangerous';

export interface HistoryBadge {
  id: HistoryBadgeId;
  label: string;
  /** The longer words for a tooltip and a screen reader: the failure's reason, the danger, the run. */
  detail: string;
}

/** The newest qualification of a commit, which decides its known-good or failed badge. */
export function latestQualification(commit: HistoryCommit): QualificationNote | null {
  return commit.qualifications[0] ?? null;
}

/** The badges of one commit, in the order they are shown; shared by the Recorder tab and `tally history`. */
export function historyBadges(commit: HistoryCommit): HistoryBadge[] {
  const out: HistoryBadge[] = [];
  if (commit.head) out.push({ id: 'head', label: 'HEAD', detail: 'What the device has checked out now.' });
  const q = latestQualification(commit);
  if (q?.verdict === 'pass')
    out.push({
      id: 'known-good',
      label: 'known-good',
      detail: `Passed qualification (${q.variant}) on ${q.date.slice(0, 10)}, kernel ${q.kernel}.`,
    });
  else if (q?.verdict === 'fail')
    out.push({
      id: 'failed',
      label: 'failed qualification',
      detail: `Failed qualification (${q.variant}) on ${q.date.slice(0, 10)}: ${q.reason ?? 'no reason recorded'}`,
    });
  if (commit.danger)
    out.push({
      id: 'dangerous',
      label: 'dangerous',
      // The reason names its seed already.
      detail: `${commit.danger.camera}: ${commit.danger.reason}`,
    });
  out.push(
    commit.madeBy === 'tally'
      ? { id: 'tally', label: 'Tally', detail: 'Committed by Tally.' }
      : { id: 'hand', label: 'by hand', detail: `Committed by hand by ${commit.author.name}.` },
  );
  return out;
}

/** The newest commit other than HEAD whose latest qualification passed: "Roll back to last known-good". */
export function lastKnownGood(history: History): HistoryCommit | undefined {
  return history.commits.find(
    (c) => !c.head && c.danger === null && latestQualification(c)?.verdict === 'pass',
  );
}
