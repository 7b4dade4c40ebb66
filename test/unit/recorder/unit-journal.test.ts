import { describe, expect, it } from 'vitest';
import { ContractError, type JournalEntry } from '../../../src-main/contract/index.js';
import type { ShellCommand } from '../../../src-main/core/device/quote.js';
import { parseJournalEntry, UnitJournal } from '../../../src-main/core/recorder/unit-journal.js';
import type { ConnectionManager } from '../../../src-main/core/ssh/connection-manager.js';
import type { ExecOptions, ExecResult } from '../../../src-main/core/ssh/types.js';

/** A line of `journalctl -u preke-recorder -o json`, as the emulated R58 (and systemd) print it. */
function line(i: number, message: unknown = `INFO:     line ${i}`, priority = '6'): string {
  return JSON.stringify({
    __CURSOR: `s=77050f8d;i=${i};b=4c84;m=16b7eb0;t=660c9c72f8468;x=3b54`,
    __REALTIME_TIMESTAMP: String(1795269606737000 + i * 1000),
    PRIORITY: priority,
    _SYSTEMD_UNIT: 'preke-recorder.service',
    MESSAGE: message,
  });
}

describe('journal JSON lines', () => {
  it('reads time, priority, message and cursor', () => {
    expect(parseJournalEntry(line(60, 'INFO:     cam3[56]: Redistribute latency...\n', '3'))).toEqual({
      entry: { at: 1795269606797, priority: 3, message: 'INFO:     cam3[56]: Redistribute latency...' },
      cursor: 's=77050f8d;i=60;b=4c84;m=16b7eb0;t=660c9c72f8468;x=3b54',
    });
  });

  it('decodes a message journald gives as bytes, and skips what is not an entry', () => {
    expect(parseJournalEntry(line(1, [104, 195, 169, 0x0a]))?.entry.message).toBe('hé');
    expect(parseJournalEntry('-- No entries --')).toBeUndefined();
    expect(parseJournalEntry('{"__CURSOR": "s=1", "MESS')).toBeUndefined();
    expect(parseJournalEntry(JSON.stringify({ __CURSOR: 'x' }))).toBeUndefined();
    expect(parseJournalEntry(line(2, 'x', 'nope'))?.entry.priority).toBe(6);
  });
});

describe('UnitJournal', () => {
  /** A device whose journalctl streams what the test pushes, until aborted or ended. */
  function device(): {
    connections: ConnectionManager;
    commands: string[];
    push(text: string): void;
    end(code?: number): void;
  } {
    const commands: string[] = [];
    let current: { opts: ExecOptions; done: (r: ExecResult) => void } | undefined;
    const connections = {
      exec: (_id: string, cmd: ShellCommand, opts: ExecOptions = {}): Promise<ExecResult> => {
        commands.push(cmd.text);
        return new Promise((resolve, reject) => {
          current = { opts, done: resolve };
          opts.signal?.addEventListener('abort', () => reject(new ContractError('refused', 'Cancelled.')));
        });
      },
    } as unknown as ConnectionManager;
    return {
      connections,
      commands,
      push: (text) => current?.opts.onStdout?.(Buffer.from(text)),
      end: (code = 1) =>
        current?.done({ code, signal: null, stdout: '', stderr: 'Failed to follow', durationMs: 1 }),
    };
  }

  it('follows with a backlog, batches, keeps the last entries, and resumes after a pause from its cursor', async () => {
    const dev = device();
    const batches: JournalEntry[][] = [];
    const journal = new UnitJournal({
      connections: dev.connections,
      deviceId: 'd',
      unit: 'preke-recorder',
      deviceName: () => 'studio-a',
      onEntries: (e) => batches.push(e),
      batchMs: 20,
      capacity: 3,
    });
    journal.start();
    journal.start(); // already running: no second stream
    expect(dev.commands).toEqual(['exec journalctl -u preke-recorder -o json -a -f --no-pager -n 200']);

    // A chunk may end mid-line.
    const text = `${line(1)}\n${line(2)}\n${line(3)}\n${line(4)}`;
    dev.push(text.slice(0, 250));
    dev.push(`${text.slice(250)}\n`);
    await new Promise((r) => setTimeout(r, 60));
    expect(batches).toHaveLength(1);
    expect(batches[0]?.map((e) => e.message)).toEqual([
      'INFO:     line 1',
      'INFO:     line 2',
      'INFO:     line 3',
      'INFO:     line 4',
    ]);
    expect(journal.entries().map((e) => e.message)).toEqual([
      'INFO:     line 2',
      'INFO:     line 3',
      'INFO:     line 4',
    ]);

    journal.pause();
    await new Promise((r) => setTimeout(r, 10));
    journal.start();
    expect(dev.commands[1]).toBe(
      "exec journalctl -u preke-recorder -o json -a -f --no-pager --after-cursor='s=77050f8d;i=4;b=4c84;m=16b7eb0;t=660c9c72f8468;x=3b54'",
    );
    journal.close();
  });

  it('follows again by itself when the stream ends while the link is up', async () => {
    const dev = device();
    const journal = new UnitJournal({
      connections: dev.connections,
      deviceId: 'd',
      unit: 'preke-recorder',
      deviceName: () => 'studio-a',
      onEntries: () => undefined,
      retryMs: 20,
    });
    journal.start();
    dev.end(1);
    await new Promise((r) => setTimeout(r, 10));
    expect(journal.lastProblem).toBe('The journal of preke-recorder on studio-a stopped: Failed to follow.');
    await new Promise((r) => setTimeout(r, 40));
    expect(dev.commands).toHaveLength(2);
    journal.close();
  });
});
