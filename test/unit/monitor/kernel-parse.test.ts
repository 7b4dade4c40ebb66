import { describe, expect, it } from 'vitest';
import {
  MAX_LINE_CHARS,
  OMITTED_MESSAGE,
  parseDmesgLine,
  parseJournalLine,
} from '../../../src-main/core/monitor/kernel-parse.js';
import { fixtureLines } from './fixtures/pipeline.js';

describe('parseDmesgLine', () => {
  it('reads dmesg -r: priority, timestamp in microseconds, text', () => {
    expect(
      parseDmesgLine(
        '<1>[ 4231.118402] Unable to handle kernel NULL pointer dereference at virtual address 0000000000000010',
      ),
    ).toEqual({
      usec: 4_231_118_402,
      priority: 1,
      text: 'Unable to handle kernel NULL pointer dereference at virtual address 0000000000000010',
    });
  });

  it('reads plain dmesg with the default priority 6', () => {
    expect(parseDmesgLine('[    0.000000] Booting Linux on physical CPU 0x0000000000 [0x412fd050]')).toEqual({
      usec: 0,
      priority: 6,
      text: 'Booting Linux on physical CPU 0x0000000000 [0x412fd050]',
    });
    expect(parseDmesgLine('[123456.000042] rcu: INFO: rcu_preempt self-detected stall on CPU')?.usec).toBe(
      123_456_000_042,
    );
  });

  it('keeps the indent of call trace frames and tabs of RCU lines (only the separator space goes)', () => {
    expect(parseDmesgLine('<4>[ 4231.118797]  rkvenc_run+0x1c4/0x3b0 [rk_vcodec]')?.text).toBe(
      ' rkvenc_run+0x1c4/0x3b0 [rk_vcodec]',
    );
    expect(parseDmesgLine('[ 2436.331568] \t(t=5253 jiffies g=60993 q=3422)')?.text).toBe(
      '\t(t=5253 jiffies g=60993 q=3422)',
    );
  });

  it('masks the facility out of a raw <N> (userspace writes to /dev/kmsg)', () => {
    expect(parseDmesgLine('<30>[    5.402776] systemd[1]: Started Journal Service.')?.priority).toBe(6);
    expect(parseDmesgLine('<11>[    5.402776] systemd[1]: Failed to start Foo.')?.priority).toBe(3);
  });

  it('reads dmesg --decode level names and drops a printk caller id', () => {
    expect(parseDmesgLine('kern  :err   : [ 2436.331502] mpp_service: error: too many sessions')).toEqual({
      usec: 2_436_331_502,
      priority: 3,
      text: 'mpp_service: error: too many sessions',
    });
    expect(parseDmesgLine('kern  :warn  : [    1.000000] x')?.priority).toBe(4);
    expect(parseDmesgLine('[    1.234567] [    T1] Run /sbin/init as init process')?.text).toBe(
      'Run /sbin/init as init process',
    );
  });

  it('reads a short fraction as a decimal and strips a trailing CR/LF', () => {
    expect(parseDmesgLine('[12.5] x\r\n')).toEqual({ usec: 12_500_000, priority: 6, text: 'x' });
  });

  it('returns null for lines that are not kernel log lines', () => {
    for (const line of [
      '',
      'hello',
      '-- No entries --',
      '[abc] x',
      '<6>no stamp',
      ' [    1.000000] indented',
    ]) {
      expect(parseDmesgLine(line)).toBeNull();
    }
  });

  it('parses every line of the fixtures, timestamps never going back', () => {
    for (const name of [
      'oops-rkvenc-panic.dmesg-r.txt',
      'rcu-self-detected.dmesg.txt',
      'boot-benign.dmesg-r.txt',
    ]) {
      let last = -1;
      for (const line of fixtureLines(name)) {
        const raw = parseDmesgLine(line);
        expect(raw, line).not.toBeNull();
        expect(raw?.usec ?? -1).toBeGreaterThanOrEqual(last);
        last = raw?.usec ?? -1;
      }
    }
  });

  it('keeps U+FFFD and latin1-decoded raw bytes as they are', () => {
    const bytes = Buffer.concat([
      Buffer.from('[  901.402118] usb 1-1.2: Product: HD '),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(' Camera \ufffd'),
    ]);
    const raw = parseDmesgLine(bytes.toString('latin1'));
    expect(raw?.usec).toBe(901_402_118);
    // The U+FFFD's three UTF-8 bytes read as latin1 are three characters.
    expect(raw?.text).toBe('usb 1-1.2: Product: HD \u00ff\u00fe Camera \u00ef\u00bf\u00bd');
    expect(parseDmesgLine('[1.000000] bad \ufffd byte')?.text).toBe('bad \ufffd byte');
  });

  it('cuts a 10 kB line to MAX_LINE_CHARS and says how much went', () => {
    const body = `mpp_rkvenc2 fdbd0000.rkvenc-core: ${'A'.repeat(10_000)} error`;
    const raw = parseDmesgLine(`<3>[  100.000001] ${body}`);
    expect(MAX_LINE_CHARS).toBe(4096);
    expect(raw?.text).toBe(`${body.slice(0, 4096)} … [${body.length - 4096} characters dropped]`);
    expect(raw?.text.endsWith('[5944 characters dropped]')).toBe(true);
  });

  it('does not split a surrogate pair at the cut', () => {
    const body = `${'a'.repeat(4095)}😀${'b'.repeat(10)}`;
    const text = parseDmesgLine(`[1.0] ${body}`)?.text ?? '';
    expect(text.startsWith(`${'a'.repeat(4095)} … [`)).toBe(true);
    expect(text).toContain('[12 characters dropped]');
  });
});

describe('parseJournalLine', () => {
  const journal = fixtureLines('kernel.journal.jsonl');

  it('reads usec from _SOURCE_MONOTONIC_TIMESTAMP, wall time, cursor and priority', () => {
    expect(parseJournalLine(journal[0] ?? '')).toEqual({
      usec: 1_203_114,
      priority: 5,
      text: 'random: crng init done',
      wallMs: 1_766_400_001_203.114,
      cursor:
        's=3c1f0a9e2b7d4c58a6e1f3b5d7c9e0a2;i=1a41;b=9a1c3e5f7b2d4f6081a3c5e7f9b1d3e5;m=125baa;t=646880c9a5baa;x=5e3a9c1b7d2f4e61',
    });
  });

  it('parses every entry of the fixture', () => {
    expect(journal).toHaveLength(25);
    for (const line of journal) expect(parseJournalLine(line), line).not.toBeNull();
  });

  it('decodes a byte-array MESSAGE as UTF-8, invalid bytes becoming U+FFFD', () => {
    expect(parseJournalLine(journal[2] ?? '')?.text).toBe('usb 1-1.2: Product: HD \ufffd\ufffd Camera');
    expect(parseJournalLine(journal[4] ?? '')?.text).toBe(
      'rcu: \t2-...0: (1 GPs behind) idle=f46/1/0x4000000000000000 softirq=8123/8124 fqs=2423 ',
    );
    const euro = parseJournalLine(JSON.stringify({ MESSAGE: [0xe2, 0x82, 0xac, 0x20, 0xc3], PRIORITY: '4' }));
    expect(euro).toEqual({ usec: 0, priority: 4, text: '€ \ufffd' });
  });

  it('keeps a line journalctl left out (MESSAGE null) with a marker', () => {
    expect(parseJournalLine(journal[24] ?? '')?.text).toBe(OMITTED_MESSAGE);
  });

  it('falls back to __MONOTONIC_TIMESTAMP, then 0, and to priority 6', () => {
    expect(parseJournalLine('{"MESSAGE":"x","__MONOTONIC_TIMESTAMP":"777"}')).toEqual({
      usec: 777,
      priority: 6,
      text: 'x',
    });
    expect(parseJournalLine('{"MESSAGE":"x","PRIORITY":"9"}')).toEqual({ usec: 0, priority: 6, text: 'x' });
    expect(parseJournalLine('{"MESSAGE":"x","PRIORITY":"err","_SOURCE_MONOTONIC_TIMESTAMP":"-5"}')).toEqual({
      usec: 0,
      priority: 6,
      text: 'x',
    });
  });

  it('joins a MESSAGE that occurs more than once', () => {
    expect(parseJournalLine('{"MESSAGE":["first",[104,105]]}')?.text).toBe('first hi');
  });

  it('returns null for non-JSON and for JSON without a MESSAGE', () => {
    for (const line of [
      '',
      'hello',
      '-- No entries --',
      '[1,2]',
      'null',
      '"MESSAGE"',
      '{"MESSAGE":',
      '{"PRIORITY":"3"}',
    ]) {
      expect(parseJournalLine(line)).toBeNull();
    }
    expect(parseJournalLine('{"MESSAGE":{"nested":true}}')).toBeNull();
  });

  it('cuts a long MESSAGE like a long dmesg line', () => {
    const text = parseJournalLine(JSON.stringify({ MESSAGE: 'x'.repeat(5000) }))?.text;
    expect(text).toBe(`${'x'.repeat(4096)} … [904 characters dropped]`);
  });
});
