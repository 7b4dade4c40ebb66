import { describe, expect, it } from 'vitest';
import {
  ago,
  clockTime,
  formatBytes,
  formatDuration,
  formatKbps,
  formatMs,
  shortSha,
  sinceText,
} from '../../../src-renderer/lib/format.js';

describe('recorder formatting', () => {
  it('writes sizes in decimal units with three significant digits', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1000)).toBe('1.00 kB');
    expect(formatBytes(1_520_000)).toBe('1.52 MB');
    expect(formatBytes(15_240_000)).toBe('15.2 MB');
    expect(formatBytes(152_400_000)).toBe('152 MB');
    // Seed 001: an hour at 8 Mbit/s.
    expect(formatBytes((8_000_000 * 3600) / 8)).toBe('3.60 GB');
    expect(formatBytes(null)).toBe('—');
    expect(formatBytes(Number.NaN)).toBe('—');
    expect(formatBytes(-1)).toBe('—');
  });

  it('writes durations as m:ss, and h:mm:ss from an hour', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(9.99)).toBe('0:09');
    expect(formatDuration(61)).toBe('1:01');
    expect(formatDuration(3599)).toBe('59:59');
    expect(formatDuration(3600)).toBe('1:00:00');
    expect(formatDuration(3723)).toBe('1:02:03');
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('—');
  });

  it('writes bitrates in kbit/s below 1 Mbit/s and in Mbit/s above', () => {
    expect(formatKbps(850)).toBe('850 kbit/s');
    expect(formatKbps(6000)).toBe('6.00 Mbit/s');
    expect(formatKbps(16_384)).toBe('16.4 Mbit/s');
    expect(formatKbps(null)).toBe('—');
  });

  it('says how long ago in the largest unit that reads naturally', () => {
    const now = 10_000_000;
    expect(ago(now - 2000, now)).toBe('just now');
    expect(ago(now - 42_000, now)).toBe('42 s ago');
    expect(ago(now - 5 * 60_000, now)).toBe('5 min ago');
    expect(ago(now - 2 * 3600_000, now)).toBe('2 h ago');
    expect(ago(now - (2 * 3600_000 + 5 * 60_000), now)).toBe('2 h 5 min ago');
    expect(ago(now - 3 * 86_400_000, now)).toBe('3 d ago');
    // A clock a little ahead of ours is not "in the future".
    expect(ago(now + 3000, now)).toBe('just now');
  });

  it('shows the date only when the time is not today', () => {
    const now = new Date(2025, 11, 22, 15, 0, 0).getTime();
    expect(clockTime(new Date(2025, 11, 22, 14, 3, 7).getTime(), now)).toBe('14:03:07');
    expect(clockTime(new Date(2025, 11, 19, 9, 5, 0).getTime(), now)).toBe('2025-12-19 09:05:00');
    const since = new Date(2025, 11, 22, 14, 55, 0);
    expect(sinceText(since.toISOString(), now)).toBe('since 14:55:00 (5 min ago)');
    expect(sinceText(null, now)).toBe('—');
    expect(sinceText('not a time', now)).toBe('—');
  });

  it('shortens commit ids and step durations', () => {
    expect(shortSha('f2d0887aa0c1e2d3')).toBe('f2d0887');
    expect(shortSha(null)).toBe('—');
    expect(formatMs(850)).toBe('850 ms');
    expect(formatMs(1234)).toBe('1.2 s');
    expect(formatMs(90_000)).toBe('1:30');
    expect(formatMs(undefined)).toBe('');
  });
});
