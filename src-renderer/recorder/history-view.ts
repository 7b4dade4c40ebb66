/** Pure helpers of the History section (tested in test/unit/renderer/). */
import type { HistoryCommit } from '../../src-main/contract/index.js';
import { latestQualification } from '../../src-main/contract/index.js';

/** `2025-12-22 15:17`: the author's own clock, as git shows it. */
export function commitTime(date: string): string {
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(date) ? date.slice(0, 16).replace('T', ' ') : date;
}

/** What the expanded row says above the diff: why there is no config.yml diff, and the qualification runs. */
export function detailLines(commit: HistoryCommit, file: string): string[] {
  const lines: string[] = [];
  if (commit.configProblem) lines.push(`The encoder could not be read: ${commit.configProblem}`);
  if (!commit.configChanged) lines.push(`${file} did not change in this commit (only the pipelines file).`);
  if (commit.encoders.length > 1 && new Set(commit.encoders.map((e) => e.encoder)).size > 1)
    for (const e of commit.encoders) lines.push(`${e.camera}: ${e.encoder}`);
  for (const q of commit.qualifications)
    lines.push(
      `Qualification ${q.verdict === 'pass' ? 'passed' : 'failed'} (${q.variant}, ${q.date.slice(0, 16).replace('T', ' ')}, kernel ${q.kernel})` +
        `${q.reason ? `: ${q.reason}` : ''}${q.evidence ? ` — ${q.evidence}` : ''}`,
    );
  return lines;
}

/** The failure reason shown under the subject, so it reads without opening the row. */
export function failureReason(commit: HistoryCommit): string | null {
  const q = latestQualification(commit);
  return q?.verdict === 'fail' ? (q.reason ?? 'no reason recorded') : null;
}
