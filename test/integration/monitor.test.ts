/**
 * The live monitor end to end in the core: the real Console connected over real SSH to the emulated R58, its
 * kernel log followed with journalctl, the sampler reading the VPU debugfs file, and alarms from both.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  Alarm,
  AuditEntry,
  KernelLine,
  MonitorSnapshot,
  MonitorSummary,
} from '../../src-main/contract/index.js';
import { sh } from '../../src-main/core/device/quote.js';
import { emulatorAvailable } from '../../src-main/emulator/index.js';
import { startEmulatedConsole, type EmulatedConsole } from '../fixtures/emulated-console.js';

const ok = await emulatorAvailable();
const why = ok ? '' : ' [skipped: the emulator needs root with network namespaces, veth and nftables]';

function kernelTexts(t: EmulatedConsole): string[] {
  return t.payloads('monitor.kernel').flatMap((p) => p.lines.map((l: KernelLine) => l.text));
}

describe.skipIf(!ok)(`live monitor against the emulated R58${why}`, () => {
  let t: EmulatedConsole;

  beforeAll(async () => {
    t = await startEmulatedConsole({ cameras: 4, keepaliveIntervalMs: 500 });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('follows the kernel log from its backlog and reads the 4 encoder sessions of 4 cameras', async () => {
    const snap = await t.until('the kernel log and the sampler running', async () => {
      const s = await t.call<MonitorSnapshot>('monitor.snapshot', { deviceId: t.deviceId });
      // The boot backlog is read on connect, before the live lines.
      const backlog = s.lines.some((l) => l.text.startsWith('Booting Linux'));
      return s.status.kernelLog.state === 'following' && s.samples.length > 0 && backlog ? s : undefined;
    });
    expect(snap.status.kernelLog.source).toBe('journalctl -k');
    expect(snap.limits).toEqual({
      vpuSafe: 6,
      vpuPractical: 8,
      temperatureWarnC: 85,
      temperatureCriticalC: 95,
      cpuWarnPercent: 85,
    });
    expect(snap.lines[0]?.seq).toBe(1);
    const summary = await t.until('4 VPU sessions', async () => {
      const [s] = await t.call<MonitorSummary[]>('monitor.summary');
      return s?.vpuSessions === 4 ? s : undefined;
    });
    expect(summary.deviceId).toBe(t.deviceId);
    const sample = t.payloads('monitor.sample').at(-1)?.sample;
    expect(sample?.vpu.encoders).toBe(4);
    expect(sample?.vpu.decoders).toBe(0);
    expect(new Set(sample?.vpu.byProcess.map((p) => p.pid)).size).toBe(4);
    expect(sample?.cores).toBeGreaterThan(0);
  });

  it('raises an Oops alarm, with the call trace as evidence, when the panic config runs', async () => {
    await t.core.connections
      .exec(
        t.deviceId,
        sh`gst-launch-1.0 -q videotestsrc is-live=true ! video/x-raw,width=320,height=240 ! mpph264enc bps=8000000 bps-max=16000000 ! fakesink`,
        { timeoutMs: 20_000 },
      )
      .catch(() => undefined);
    const alarm = await t.until('the Oops alarm', async () =>
      (await t.call<Alarm[]>('alarms.list')).find((a) => a.kind === 'oops' && a.acknowledged === null),
    );
    expect(alarm.severity).toBe('critical');
    expect(alarm.device).toBe('demo-r58');
    expect(alarm.title).toMatch(/^Kernel Oops in gst-launch-1\.0/);
    expect(alarm.evidence.some((l) => /Internal error: Oops/.test(l))).toBe(true);
    expect(alarm.evidence).toContain('Call trace:');
    expect(alarm.recovery).toBe(true);
    // The report went to the UI as one event, and every line of it carries the event's id.
    const event = await t.until('the Oops report in a kernel batch', () =>
      t
        .payloads('monitor.kernel')
        .flatMap((p) => p.events)
        .find((e) => e.category === 'oops' && /Internal error/.test(e.title) && !e.open),
    );
    expect(event.process).toBe('gst-launch-1.0');
    expect(event.callTrace.length).toBeGreaterThan(2);
    const members = t
      .payloads('monitor.kernel')
      .flatMap((p) => p.lines)
      .filter((l) => l.eventId === event.id);
    expect(members.every((l) => l.category === 'oops')).toBe(true);

    const acked = await t.call<Alarm>('alarms.acknowledge', { id: alarm.id });
    expect(acked.acknowledged?.by).toMatch(/\(web\)$/);
    const open = (await t.call<Alarm[]>('alarms.list')).filter((a) => a.acknowledged === null);
    expect(open.find((a) => a.id === alarm.id)).toBeUndefined();
    const audit = await t.call<AuditEntry[]>('audit.tail', { limit: 100 });
    expect(audit.find((e) => e.action === 'alarm.oops')?.message).toBe(alarm.title);
    expect(audit.find((e) => e.action === 'alarm.acknowledge')?.message).toBe(alarm.title);
  });

  it('warns at the safe session limit and names the holders', async () => {
    // 4 camera encoders + 2 more = 6 = the R58's safe limit.
    const job = sh`for i in 1 2; do setsid -f gst-launch-1.0 -q videotestsrc is-live=true ! video/x-raw,width=160,height=120 ! mpph264enc qp-init=26 ! fakesink >/dev/null 2>&1; done`;
    await t.core.connections.exec(t.deviceId, job, { timeoutMs: 10_000 });
    try {
      const alarm = await t.until('the safe-limit alarm', async () =>
        (await t.call<Alarm[]>('alarms.list')).find((a) => a.kind === 'vpu_sessions_safe'),
      );
      expect(alarm.severity).toBe('warning');
      expect(alarm.title).toMatch(/^6 VPU sessions: at or above the safe limit of 6/);
      expect(
        alarm.evidence.filter((l) => l.startsWith('gst-launch-1.0 (pid ')).length,
      ).toBeGreaterThanOrEqual(2);
    } finally {
      await t.core.connections.exec(t.deviceId, sh`pkill -f 'width=160,height=120' || true`, {
        timeoutMs: 10_000,
      });
    }
  });

  it('raises a temperature alarm over the profile threshold', async () => {
    await t.emu.control.setTemperature(92);
    try {
      const alarm = await t.until('the temperature alarm', async () =>
        (await t.call<Alarm[]>('alarms.list')).find((a) => a.kind === 'temperature'),
      );
      expect(alarm.severity).toBe('warning');
      expect(alarm.title).toMatch(/^92\.0 °C .*over the 85 °C threshold/);
    } finally {
      await t.emu.control.setTemperature('auto');
    }
  });

  it('drops the link in a burst of kernel lines and loses or repeats none after the reconnect', async () => {
    const total = 600;
    const name = (i: number) => `tally-burst ${String(i).padStart(4, '0')}`;
    let next = 1;
    const send = async (upTo: number) => {
      while (next <= upTo) {
        const batch: string[] = [];
        for (let i = 0; i < 20 && next <= upTo; i++) batch.push(name(next++));
        await t.emu.control.kernel(batch.join('\n'));
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await send(200);
    await t.emu.control.linkDown();
    await send(400);
    await t.until('the console to notice the dead link', () =>
      t.core.connections.status(t.deviceId).state !== 'connected' ? true : undefined,
    );
    await t.emu.control.linkUp();
    await send(total);
    await t.core.connections.waitFor(t.deviceId, ['connected'], 30_000);
    const seen = await t.until('every burst line', () => {
      const lines = kernelTexts(t).filter((x) => x.startsWith('tally-burst '));
      return lines.length >= total ? lines : undefined;
    });
    // Give a duplicate the chance to arrive before judging.
    await new Promise((r) => setTimeout(r, 1000));
    const final = kernelTexts(t).filter((x) => x.startsWith('tally-burst '));
    expect(final.length).toBe(seen.length);
    expect(final).toEqual(Array.from({ length: total }, (_, i) => name(i + 1)));
    const snap = await t.call<MonitorSnapshot>('monitor.snapshot', { deviceId: t.deviceId });
    const seqs = snap.lines.map((l) => l.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('writes raised alarms to the audit file on disk', async () => {
    const text = await fs.readFile(path.join(t.dataDir, 'audit.jsonl'), 'utf8');
    expect(text).toMatch(/"action":"alarm\.oops"/);
  });
});
