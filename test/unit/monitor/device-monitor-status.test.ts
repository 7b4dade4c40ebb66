/**
 * The kernel log's status while the link stays up: the connection reports every new round trip as a live status,
 * and each one calls the monitor's start again. A log being followed must keep saying so.
 */
import { describe, expect, it } from 'vitest';
import type { MonitorStatus } from '../../../src-main/contract/index.js';
import { loadProfile } from '../../../src-main/core/device/profile.js';
import type { ShellCommand } from '../../../src-main/core/device/quote.js';
import { AlarmCenter } from '../../../src-main/core/monitor/alarm-center.js';
import { DeviceMonitor } from '../../../src-main/core/monitor/device-monitor.js';
import type { ConnectionManager } from '../../../src-main/core/ssh/connection-manager.js';
import type { ExecResult } from '../../../src-main/core/ssh/types.js';

/** A device whose journal answers the probe and whose streams run until aborted. */
function fakeConnections(): ConnectionManager {
  const exec = (_id: string, cmd: ShellCommand, opts?: { signal?: AbortSignal }): Promise<ExecResult> => {
    const done = (stdout: string): ExecResult => ({
      code: 0,
      signal: null,
      stdout,
      stderr: '',
      durationMs: 1,
    });
    if (/journalctl -k -b -n 1/.test(cmd.text)) return Promise.resolve(done('journal\n'));
    return new Promise((resolve) => opts?.signal?.addEventListener('abort', () => resolve(done(''))));
  };
  return { exec } as unknown as ConnectionManager;
}

describe('device monitor status', () => {
  it('keeps saying the kernel log is followed when the live link reports again', async () => {
    const statuses: MonitorStatus[] = [];
    const monitor = new DeviceMonitor({
      deviceId: 'd1',
      deviceName: () => 'box-01',
      profile: loadProfile('r58'),
      connections: fakeConnections(),
      alarms: new AlarmCenter({ onChange: () => undefined }),
      sink: { kernel: () => undefined, sample: () => undefined, status: (_id, s) => statuses.push(s) },
    });
    monitor.start();
    await new Promise((r) => setTimeout(r, 10));
    expect(monitor.status.kernelLog.state).toBe('following');
    monitor.start();
    monitor.start();
    expect(monitor.status.kernelLog.state).toBe('following');
    // After a lost link it says it starts again.
    monitor.pause('Waiting for the connection (unreachable).');
    monitor.start();
    expect(monitor.status.kernelLog.state).toBe('starting');
    monitor.stop();
  });
});
