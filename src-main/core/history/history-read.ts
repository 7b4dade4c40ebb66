/**
 * From the repo's raw log (device/repo-log.ts) to the history a producer reads: the encoder each commit selects,
 * its config.yml diff, who made it, its qualification results and whether it is a known-dangerous config. Pure.
 */
import { QualificationNote, type History, type HistoryCommit } from '../../contract/index.js';
import type { RepoLog, RepoLogCommit } from '../device/repo-log.js';
import { encoderToText } from '../media/encoder-text.js';
import { dangerOf } from '../media/presets.js';
import { configDiff, parseRecorderConfig } from '../media/recorder-config.js';

/** The author Tally commits as (recorder/config-applier.ts). */
export const TALLY_EMAIL = 'tally@localhost';
export const TALLY_SUBJECT_PREFIX = 'Tally: ';

interface Encoders {
  encoders: HistoryCommit['encoders'];
  encoder: string | null;
  danger: HistoryCommit['danger'];
  problem: string | null;
}

/** `x264enc …` when every camera has it, else `cam0, cam1: x264enc …; cam3: mpph265enc …` (config order). */
export function summariseEncoders(encoders: HistoryCommit['encoders']): string | null {
  const groups = new Map<string, string[]>();
  for (const { camera, encoder } of encoders) groups.set(encoder, [...(groups.get(encoder) ?? []), camera]);
  if (groups.size === 0) return null;
  if (groups.size === 1) return [...groups.keys()][0] ?? null;
  return [...groups].map(([encoder, cams]) => `${cams.join(', ')}: ${encoder}`).join('; ');
}

function encodersOf(text: string | undefined, file: string): Encoders {
  if (text === undefined)
    return { encoders: [], encoder: null, danger: null, problem: `${file} does not exist at this commit` };
  try {
    const config = parseRecorderConfig(text);
    const encoders = config.cameras.map((c) => ({ camera: c.name, encoder: encoderToText(c.encoder) }));
    let danger: HistoryCommit['danger'] = null;
    for (const c of config.cameras) {
      const d = dangerOf(c.encoder);
      if (d) {
        danger = { camera: c.name, reason: d.reason, seed: d.seed };
        break;
      }
    }
    return { encoders, encoder: summariseEncoders(encoders), danger, problem: null };
  } catch (err) {
    return { encoders: [], encoder: null, danger: null, problem: (err as Error).message };
  }
}

/** Every line of a note that is a QualificationNote for this commit, newest first; and how many were not. */
export function parseQualificationNote(
  text: string | undefined,
  commit: string,
): { notes: QualificationNote[]; unreadable: number } {
  const notes: QualificationNote[] = [];
  let unreadable = 0;
  for (const line of (text ?? '').split('\n')) {
    if (line.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      unreadable++;
      continue;
    }
    const parsed = QualificationNote.safeParse(json);
    if (parsed.success && parsed.data.commit === commit) notes.push(parsed.data);
    else unreadable++;
  }
  notes.sort((a, b) => Date.parse(b.date) - Date.parse(a.date));
  return { notes, unreadable };
}

export function madeBy(c: Pick<RepoLogCommit, 'subject' | 'authorEmail'>): 'tally' | 'hand' {
  return c.subject.startsWith(TALLY_SUBJECT_PREFIX) && c.authorEmail === TALLY_EMAIL ? 'tally' : 'hand';
}

export interface HistoryContext {
  deviceId: string;
  repo: string;
  /** config.yml's path in the repo. */
  file: string;
  files: string[];
  limit: number;
}

export function buildHistory(log: RepoLog, ctx: HistoryContext): History {
  let unreadableNotes = 0;
  const listed = new Set(log.commits.map((c) => c.sha));
  // Notes on commits outside the list still count when they cannot be read, so a broken note is never silent.
  for (const [commit, text] of log.notes)
    if (!listed.has(commit)) unreadableNotes += parseQualificationNote(text, commit).unreadable;
  const commits = log.commits.map((c): HistoryCommit => {
    const text = c.fileBlob ? log.blobs.get(c.fileBlob) : undefined;
    const before = c.parentFileBlob ? (log.blobs.get(c.parentFileBlob) ?? '') : '';
    const enc = encodersOf(text, ctx.file);
    const q = parseQualificationNote(log.notes.get(c.sha), c.sha);
    unreadableNotes += q.unreadable;
    const configChanged = c.fileBlob !== c.parentFileBlob;
    return {
      sha: c.sha,
      short: c.short,
      subject: c.subject,
      date: c.date,
      author: { name: c.authorName, email: c.authorEmail },
      encoder: enc.encoder,
      encoders: enc.encoders,
      configProblem: enc.problem,
      configChanged,
      diff: configChanged ? configDiff(before, text ?? '', ctx.file) : '',
      head: c.sha === log.head,
      madeBy: madeBy(c),
      qualifications: q.notes,
      danger: enc.danger,
    };
  });
  return {
    deviceId: ctx.deviceId,
    repo: ctx.repo,
    files: ctx.files,
    head: log.head,
    dirtyFiles: log.dirtyFiles,
    dirtyDiff: log.dirtyDiff,
    commits,
    limit: ctx.limit,
    truncated: log.truncated,
    unreadableNotes,
  };
}
