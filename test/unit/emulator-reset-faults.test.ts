/**
 * The kernel model's side of the emergency VPU reset faults: a kernel that keeps the sessions of processes that
 * are gone (until a reboot), a raised session limit, and the reboot itself.
 */
import { describe, expect, it } from 'vitest';
import {
  handleKernelApi,
  KernelModel,
  type VpuOpenRequest,
} from '../../src-main/emulator/device/kernel/index.js';

const PROVEN = { 'qp-init': 26, 'qp-min': 10, 'qp-max': 51, gop: 30, bps: 8000000 };
const PANIC = { bps: 8000000, 'bps-max': 16000000 };

interface Harness {
  model: KernelModel;
  alive: Set<number>;
  timers: Array<() => void>;
  printed: string[];
}

function harness(maxSessions?: number): Harness {
  const clock = { ms: 1_766_400_000_000 };
  const alive = new Set<number>();
  const timers: Array<() => void> = [];
  const printed: string[] = [];
  const model = new KernelModel({
    now: () => (clock.ms += 5),
    killPid: (pid, signal) => {
      if (signal === 'SIGKILL') alive.delete(pid);
    },
    isAlive: (pid) => alive.has(pid),
    onLine: (text) => printed.push(text),
    schedule: (fn) => timers.push(fn),
    ...(maxSessions === undefined ? {} : { maxSessions }),
  });
  return { model, alive, timers, printed };
}

function open(h: Harness, pid: number, extra: Partial<VpuOpenRequest> = {}): ReturnType<KernelModel['open']> {
  h.alive.add(pid);
  return h.model.open({ pid, element: 'mpph264enc', props: PROVEN, label: `cam${pid % 10}`, ...extra });
}

describe('keep-sessions fault', () => {
  it('is off by default: close and reap free the sessions', () => {
    const h = harness();
    open(h, 101);
    open(h, 102);
    expect(h.model.keepSessions).toBe(false);
    expect(h.model.close(101)).toBe(1);
    h.alive.delete(102);
    expect(h.model.reap()).toEqual([102]);
    expect(h.model.sessions()).toHaveLength(0);
  });

  it('keeps the sessions of processes that close them or exit, with their dead pid, marked orphaned', () => {
    const h = harness();
    open(h, 101);
    open(h, 102);
    open(h, 103);
    h.model.setKeepSessions(true);
    expect(h.model.close(101)).toBe(0);
    h.alive.delete(101);
    h.alive.delete(102);
    h.model.reap();
    h.model.reap();
    expect(h.model.sessions().map((s) => s.pid)).toEqual([101, 102, 103]);
    expect(h.model.orphanedCount).toBe(2);
    expect(h.model.sessionViews().map((v) => [v.pid, v.orphaned])).toEqual([
      [101, true],
      [102, true],
      [103, false],
    ]);
    const text = h.model.debugfsSessionText();
    expect(text.match(/^session/gm)).toHaveLength(3);
    expect(text).toMatch(/^session 0: pid=101 enc$/m);
  });

  it('turning it off frees none of the kept sessions; later exits are freed again', () => {
    const h = harness();
    open(h, 101);
    open(h, 102);
    h.model.setKeepSessions(true);
    h.alive.delete(101);
    h.model.reap();
    h.model.setKeepSessions(false);
    h.model.reap();
    expect(h.model.orphanedCount).toBe(1);
    h.alive.delete(102);
    h.model.reap();
    expect(h.model.sessions().map((s) => s.pid)).toEqual([101]);
    // A new process that happens to get the dead pid does not release the kept session.
    h.alive.add(101);
    expect(h.model.close(101)).toBe(0);
    expect(h.model.sessions()).toHaveLength(1);
  });

  it('kept sessions count against the limit: the ninth open is refused with too many sessions', () => {
    const h = harness();
    h.model.setKeepSessions(true);
    for (let pid = 201; pid <= 208; pid++) {
      expect(open(h, pid).ok).toBe(true);
      h.alive.delete(pid);
    }
    h.model.reap();
    expect(h.model.orphanedCount).toBe(8);
    const refused = open(h, 209);
    expect(refused).toMatchObject({ ok: false, error: 'too-many-sessions' });
    expect(h.printed.join('\n')).toMatch(/too many sessions/);
  });

  it('the panic Oops kills the pipeline but its session stays while the fault is on', () => {
    const h = harness();
    h.model.setKeepSessions(true);
    expect(open(h, 301, { props: PANIC })).toMatchObject({ ok: true, fault: 'oops' });
    for (const fire of h.timers.splice(0)) fire();
    expect(h.alive.has(301)).toBe(false);
    expect(h.model.sessionViews()).toMatchObject([{ pid: 301, orphaned: true }]);
  });

  it('POST/DELETE /vpu/keep on the kernel API turn it on and off', async () => {
    const h = harness();
    const on = await handleKernelApi(h.model, 'POST', '/vpu/keep', '');
    expect(on?.status).toBe(200);
    expect(JSON.parse(on?.body ?? '{}')).toEqual({ ok: true, keep: true, orphaned: 0 });
    expect(h.model.keepSessions).toBe(true);
    const off = await handleKernelApi(h.model, 'DELETE', '/vpu/keep', '');
    expect(JSON.parse(off?.body ?? '{}')).toMatchObject({ keep: false });
    expect(h.model.keepSessions).toBe(false);
  });
});

describe('session limit', () => {
  it('defaults to 8', () => {
    const h = harness();
    for (let pid = 1; pid <= 8; pid++) expect(open(h, pid).ok).toBe(true);
    expect(open(h, 9).ok).toBe(false);
    expect(h.model.sessionLimit).toBe(8);
  });

  it('maxSessions 16 lets a ninth session open, and refuses the seventeenth', () => {
    const h = harness(16);
    for (let pid = 1; pid <= 16; pid++) expect(open(h, pid).ok).toBe(true);
    const refused = open(h, 17);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.reason).toBe('too many sessions (16 open, limit 16)');
  });
});

describe('reboot', () => {
  it('prints the restart, frees every session (kept ones too), turns the fault off and prints a new boot', () => {
    const h = harness();
    open(h, 101);
    open(h, 102);
    h.model.setKeepSessions(true);
    h.alive.delete(101);
    h.model.reap();
    h.model.append('mpp_service: Kernel panic - not syncing: earlier boot', 'emerg');
    const before = h.model.log.lastSeq;
    h.model.reboot();
    expect(h.model.sessions()).toHaveLength(0);
    expect(h.model.orphanedCount).toBe(0);
    expect(h.model.keepSessions).toBe(false);
    const since = h.printed.slice(-25);
    expect(since.some((l) => /\] reboot: Restarting system$/.test(l))).toBe(true);
    // dmesg after the reboot shows this boot only: the new boot lines, not the old panic.
    const now = h.model.lines().map((l) => l.text);
    expect(now[0]).toMatch(/^Booting Linux/);
    expect(now.join('\n')).not.toMatch(/Kernel panic|Restarting system/);
    expect(h.model.lines(before).length).toBe(now.length);
    // Timestamps never go backwards across the reboot.
    const usecs = h.model.lines().map((l) => l.usec);
    expect([...usecs].sort((a, b) => a - b)).toEqual(usecs);
    // Sessions free again after the reboot.
    open(h, 103);
    h.alive.delete(103);
    h.model.reap();
    expect(h.model.sessions()).toHaveLength(0);
  });
});
