import { describe, expect, it } from 'vitest';
import { exportFileName, formatExport, formatLine } from '../../../src-renderer/monitor/export.js';
import { bootTime } from '../../../src-renderer/lib/charts/labels.js';
import { line } from './monitor-fixtures.js';

describe('kernel log export', () => {
  it('prints the time since boot as dmesg does', () => {
    expect(bootTime(262_118_731)).toBe('[  262.118731]');
    expect(bootTime(5)).toBe('[    0.000005]');
  });

  it('writes one line per shown line with severity and category, under a header naming device and filter', () => {
    const lines = [
      line(1, 'Internal error: Oops: 0000000096000005 [#1] SMP', { severity: 'critical', category: 'oops' }),
      line(2, ' rkvenc2_set_rc_cfg+0x1c8/0x4b0', { severity: 'warning', category: 'oops' }),
    ];
    const text = formatExport(lines, {
      device: 'studio-a',
      filter: { categories: ['oops', 'rcu_stall'], text: ' rkvenc ' },
      at: new Date('2026-03-14T10:15:02.000Z'),
    });
    const rows = text.trimEnd().split('\n');
    expect(rows.slice(0, 5)).toEqual([
      '# Tally kernel log export',
      '# device: studio-a',
      '# exported: 2026-03-14T10:15:02.000Z',
      '# filter: categories Oops, RCU stall; text contains "rkvenc"',
      '# lines: 2',
    ]);
    expect(rows[5]).toBe(formatLine(lines[0]!));
    expect(rows[5]).toBe('[    0.001000] critical oops      Internal error: Oops: 0000000096000005 [#1] SMP');
    expect(rows[6]).toContain(' rkvenc2_set_rc_cfg+0x1c8/0x4b0');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('says when nothing was filtered', () => {
    const text = formatExport([], { device: 'x', filter: { categories: [], text: '' }, at: new Date(0) });
    expect(text).toContain('# filter: none (every line kept)');
    expect(text).toContain('# lines: 0');
  });

  it('names the file after the device and the local time, safely', () => {
    const at = new Date(2026, 2, 14, 10, 15, 2);
    expect(exportFileName('Studio A / R58', at)).toBe('tally-kernel-studio-a-r58-20260314-101502.log');
    expect(exportFileName('***', at)).toBe('tally-kernel-device-20260314-101502.log');
  });
});
