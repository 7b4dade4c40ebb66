/** `systemctl show` on a box: its `Key=Value` lines and its timestamps. */
import { sh, unitName, type ShellCommand } from './quote.js';

export function showCommand(unit: string, props: readonly string[]): ShellCommand {
  return sh`systemctl show -p ${props.join(',')} ${unitName(unit)}`;
}

export function parseShow(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

const TIMESTAMP = /^(?:[A-Za-z]{3} )?(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)? ?(\S+)?$/;

/**
 * `Sat 2026-11-21 12:07:01 UTC` as ISO. A zone abbreviation other than UTC is ambiguous, so the box's own offset
 * (`date +%z`) is used for it; null when it cannot be told.
 */
export function systemdTime(value: string | undefined, deviceOffset?: string): string | null {
  const text = value?.trim() ?? '';
  const m = TIMESTAMP.exec(text);
  if (!m) return null;
  const zone = m[4] ?? '';
  const offsetOf = (z: string): string => `${z.slice(0, 3)}:${z.slice(3)}`;
  const device = deviceOffset?.trim() ?? '';
  const offset =
    zone === '' || zone === 'UTC' || zone === 'GMT'
      ? '+00:00'
      : /^[+-]\d{4}$/.test(zone)
        ? offsetOf(zone)
        : /^[+-]\d{4}$/.test(device)
          ? offsetOf(device)
          : null;
  if (offset === null) return null;
  const date = new Date(`${m[1]}T${m[2]}${m[3] ?? ''}${offset}`);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
