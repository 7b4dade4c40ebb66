/**
 * `tally history <device> [--json]`: the recorder checkout's encoder commits, newest first, as a table a person
 * reads (short sha, date, badges, encoder, subject) or the `history.list` reply as JSON for a script.
 */
import { historyBadges, type History } from './contract/index.js';
import type { Console } from './core/console.js';
import { call, connect, findDevice, table, type CliIo } from './cli-ops.js';

const MAX_ENCODER = 72;

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function describeHistory(device: string, h: History): string {
  const out: string[] = [];
  out.push(`Encoder history of ${device}: ${h.repo} (${h.files.join(', ')}), newest first.`);
  if (h.dirtyFiles.length)
    out.push(
      `Uncommitted changes on the device (left as they are): ${h.dirtyFiles.join(', ')}.` +
        (h.dirtyDiff ? ` ${h.files[0] ?? 'config.yml'} differs from HEAD.` : ''),
    );
  if (h.commits.length === 0) {
    out.push(h.head ? 'No commit touches these files.' : 'The repo has no commits.');
    return `${out.join('\n')}\n`;
  }
  const rows = h.commits.map((c) => [
    c.short,
    c.date.slice(0, 16).replace('T', ' '),
    historyBadges(c)
      .map((b) => b.label)
      .join(', '),
    clip(c.encoder ?? `(${c.configProblem ?? 'no encoder'})`, MAX_ENCODER),
    c.subject,
  ]);
  const text = table([['COMMIT', 'DATE', 'BADGES', 'ENCODER', 'SUBJECT'], ...rows]);
  const failed = h.commits.flatMap((c) =>
    historyBadges(c)
      .filter((b) => b.id === 'failed' || b.id === 'dangerous')
      .map((b) => `  ${c.short} ${b.label}: ${b.detail}`),
  );
  const notes = [
    ...(failed.length ? ['', ...failed] : []),
    ...(h.truncated ? [`(the newest ${h.limit} shown; older commits exist)`] : []),
    ...(h.unreadableNotes
      ? [`(${h.unreadableNotes} qualification note line(s) under the notes ref could not be read)`]
      : []),
  ];
  return `${out.join('\n')}\n${text}${notes.length ? `${notes.join('\n')}\n` : ''}`;
}

export async function historyCommand(
  core: Console,
  io: CliIo,
  deviceName: string,
  opts: { json: boolean; timeoutMs: number },
): Promise<number> {
  const device = await findDevice(core, deviceName);
  await connect(core, device, opts.timeoutMs);
  const history = await call<History>(core, 'history.list', { deviceId: device.id });
  io.out(opts.json ? `${JSON.stringify(history)}\n` : describeHistory(device.name, history));
  return 0;
}
