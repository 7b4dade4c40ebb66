/**
 * Known-good and qualification on the emulated transcoder and VMS host (issue 17): a switch to a good image or
 * binary passes its probation; a switch to a broken one goes back by itself to what ran before, and nothing is lost
 * (what ran is kept under a name of its own). The seeds' own qualification tests run against the boxes.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  KindQualification,
  KnownGoodCandidates,
  KnownGoodPlan,
  KnownGoodSwitch,
} from '../../src-main/contract/index.js';
import { sh } from '../../src-main/core/device/quote.js';
import { emulatorAvailable, startEmulator } from '../../src-main/emulator/index.js';
import { openEmulatedConsole, type EmulatedConsole } from '../fixtures/emulated-console.js';

const ok = await emulatorAvailable();
const why = ok ? '' : ' [skipped: the emulator needs root with network namespaces, veth and nftables]';

/** Short windows for a shared 2-core machine: 5 s probation, 25 s for the service to look healthy. */
const PROBATION_S = 5;
const consoleOptions = { knownGoodStartS: 25, vmsCpuSampling: { samples: 3, everyS: 2 } };

async function onBox(t: EmulatedConsole, cmd: ReturnType<typeof sh>): Promise<string> {
  const r = await t.core.connections.exec(t.deviceId, cmd, { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`${cmd.text}: exit ${r.code}: ${r.stderr}`);
  return r.stdout.trim();
}

async function audit(t: EmulatedConsole): Promise<string[]> {
  return (await fs.readFile(path.join(t.dataDir, 'audit.jsonl'), 'utf8')).trim().split('\n');
}

describe.skipIf(!ok)(`known-good and qualification on the emulated transcoder${why}`, () => {
  let t: EmulatedConsole;
  let stopEmu: () => Promise<void>;

  beforeAll(async () => {
    const emu = await startEmulator({ kind: 'transcoder' });
    stopEmu = () => emu.stop();
    t = await openEmulatedConsole(emu, { console: consoleOptions });
  });
  afterAll(async () => {
    await t?.stop();
    await stopEmu?.();
  });

  it('lists the image tags to go back to, with the running one', async () => {
    const c = await t.call<KnownGoodCandidates>('knownGood.candidates', { deviceId: t.deviceId });
    expect(c.unit).toBe('image');
    expect(c.slot).toBe('xg2g-gpu-transcoder:production');
    expect(c.running.ref).toBe('xg2g-gpu-transcoder:production');
    expect(c.candidates.map((x) => x.name).sort()).toEqual(['broken', 'previous']);
    expect(c.candidates.every((x) => !x.current)).toBe(true);
  });

  it('a switch to the broken image is unhealthy and goes back by itself to production; the kept image stays', async () => {
    const before = await t.call<KnownGoodCandidates>('knownGood.candidates', { deviceId: t.deviceId });
    const plan = await t.call<KnownGoodPlan>('knownGood.plan', {
      deviceId: t.deviceId,
      to: 'broken',
      probationS: PROBATION_S,
    });
    expect(plan.blocked).toBeNull();
    expect(plan.stops).toMatch(/recreated from xg2g-gpu-transcoder:broken/);
    const unconfirmed = await t.core.invoke(
      'knownGood.start',
      { deviceId: t.deviceId, to: 'broken' },
      { owner: 'test' },
    );
    expect(unconfirmed.ok).toBe(false);
    if (!unconfirmed.ok)
      expect(unconfirmed.error.message).toMatch(/Confirm the switch after reading its plan/);

    const started = await t.call<KnownGoodSwitch>('knownGood.start', {
      deviceId: t.deviceId,
      to: 'broken',
      probationS: PROBATION_S,
      confirmed: true,
    });
    // The job holds the device's lease while it works.
    const lease = await t.core.leases.read(t.deviceId);
    expect(lease?.kind).toBe('knownGood');
    // Nothing else may change the box meanwhile: a restart from this (or any) console is refused, naming the switch.
    const restart = await t.core.invoke(
      'service.control',
      { deviceId: t.deviceId, action: 'restart', confirmed: true },
      { owner: 'test' },
    );
    expect(restart.ok).toBe(false);
    if (!restart.ok) {
      expect(restart.error.code).toBe('busy');
      expect(restart.error.message).toMatch(/Switch .* to xg2g-gpu-transcoder:broken/);
    }
    const report = await t.core.kindOps.knownGood.waitForEnd(started.id);
    expect(report.outcome, report.summary).toBe('reverted');
    expect(report.summary).toMatch(/reverted by itself/);
    expect(report.steps.map((s) => s.state)).toEqual(['done', 'done', 'done', 'failed', 'done', 'done']);
    expect(report.evidence.join(' ')).toMatch(/\/health 503/);
    expect(report.kept).toBe(`xg2g-gpu-transcoder:tally-keep-${started.id}`);
    expect(report.endedOn?.slice(0, 12)).toBe(before.running.id);
    const after = await t.call<KnownGoodCandidates>('knownGood.candidates', { deviceId: t.deviceId });
    expect(after.running.id).toBe(before.running.id);
    expect(after.candidates.find((c) => c.keptBySwitch === started.id)?.current).toBe(true);
    expect(after.candidates.some((c) => c.name === 'broken')).toBe(true);
    expect(await t.core.leases.read(t.deviceId)).toBeNull();
    expect(
      (await audit(t)).some((l) => l.includes('"action":"knownGood.switch"') && l.includes(started.id)),
    ).toBe(true);
  }, 240_000);

  it('a switch to the previous image passes its probation', async () => {
    const previous = (
      await t.call<KnownGoodCandidates>('knownGood.candidates', { deviceId: t.deviceId })
    ).candidates.find((c) => c.name === 'previous');
    const started = await t.call<KnownGoodSwitch>('knownGood.start', {
      deviceId: t.deviceId,
      to: 'previous',
      probationS: PROBATION_S,
      confirmed: true,
    });
    const report = await t.core.kindOps.knownGood.waitForEnd(started.id);
    expect(report.outcome, report.summary).toBe('healthy');
    expect(report.steps.map((s) => s.state)).toEqual(['done', 'done', 'done', 'done', 'skipped', 'skipped']);
    expect(report.health.length).toBeGreaterThanOrEqual(PROBATION_S);
    expect(report.health.every((h) => h.healthy)).toBe(true);
    const now = await t.call<KnownGoodCandidates>('knownGood.candidates', { deviceId: t.deviceId });
    expect(now.running.id).toBe(previous?.id);
    expect(
      await onBox(t, sh`sudo -n docker image inspect ${report.kept ?? 'none'} > /dev/null && echo kept`),
    ).toBe('kept');
  }, 240_000);

  it('seed 003’s qualification: MPEG-TS with H.264 from /transcode, read unbuffered', async () => {
    const started = await t.call<KindQualification>('kindQualify.start', { deviceId: t.deviceId });
    const q = await t.core.kindOps.qualify.waitForEnd(started.id);
    expect(q.transcode?.httpStatus).toBe(200);
    expect(q.transcode?.format).toBe('mpegts');
    expect(q.transcode?.video).toBe('h264');
    expect(q.checks.find((c) => c.id === 'format')?.state).toBe('passed');
    expect(q.checks.find((c) => c.id === 'video')?.state).toBe('passed');
    expect(q.outcome, q.summary).toBe('passed');
    expect(t.payloads('kindQualify.changed').some((p) => p.qualification.id === started.id)).toBe(true);
  }, 120_000);
});

describe.skipIf(!ok)(`known-good and qualification on the emulated VMS host${why}`, () => {
  let t: EmulatedConsole;
  let stopEmu: () => Promise<void>;
  const sha = (file: string): Promise<string> => onBox(t, sh`sudo -n sha256sum ${file} | cut -c1-12`);

  beforeAll(async () => {
    const emu = await startEmulator({ kind: 'vms', segmentSeconds: 4 });
    stopEmu = () => emu.stop();
    t = await openEmulatedConsole(emu, { console: consoleOptions });
  });
  afterAll(async () => {
    await t?.stop();
    await stopEmu?.();
  });

  it('lists the backups beside the binary', async () => {
    const c = await t.call<KnownGoodCandidates>('knownGood.candidates', { deviceId: t.deviceId });
    expect(c.unit).toBe('binary');
    expect(c.slot).toBe('/opt/vms/vms-recorder');
    expect(c.candidates.map((x) => x.name).sort()).toEqual([
      'vms-recorder.before-phase3',
      'vms-recorder.broken-build',
    ]);
  });

  it('going to the broken build records nothing, so it goes back by itself; the current binary is kept beside', async () => {
    const before = await sha('/opt/vms/vms-recorder');
    const started = await t.call<KnownGoodSwitch>('knownGood.start', {
      deviceId: t.deviceId,
      to: 'vms-recorder.broken-build',
      probationS: PROBATION_S,
      confirmed: true,
    });
    const report = await t.core.kindOps.knownGood.waitForEnd(started.id);
    expect(report.outcome, report.summary).toBe('reverted');
    expect(report.kept).toBe(`/opt/vms/vms-recorder.tally-${started.id}`);
    expect(report.evidence.join(' ')).toMatch(/Duc_Tai_Dendo_1: (no process|up, no new segment)/);
    expect(report.recheck.at(-1)?.text).toMatch(/Duc_Tai_Dendo_1: up, new segment, live h264/);
    expect(await sha('/opt/vms/vms-recorder')).toBe(before);
    expect(await sha(report.kept ?? '')).toBe(before);
    expect(await sha('/opt/vms/vms-recorder.broken-build')).not.toBe(before);
  }, 240_000);

  it('going back to vms-recorder.before-phase3 passes: cameras up, new segments, live outputs answer', async () => {
    const backup = await sha('/opt/vms/vms-recorder.before-phase3');
    const started = await t.call<KnownGoodSwitch>('knownGood.start', {
      deviceId: t.deviceId,
      to: 'vms-recorder.before-phase3',
      probationS: PROBATION_S,
      confirmed: true,
    });
    const report = await t.core.kindOps.knownGood.waitForEnd(started.id);
    expect(report.outcome, report.summary).toBe('healthy');
    expect(report.health.every((h) => h.healthy)).toBe(true);
    expect(report.health.at(-1)?.text).toMatch(/Duc_Tai_Dendo_2: up, new segment, live h264/);
    expect(await sha('/opt/vms/vms-recorder')).toBe(backup);
    // Phase 1's shape: two ffmpeg a camera (recording, live).
    expect(await onBox(t, sh`pgrep -x ffmpeg | wc -l`)).toBe('4');
  }, 240_000);

  it('seed 004’s qualification: the first run records the box’s baseline; a run over it fails naming the figure', async () => {
    await onBox(t, sh`rm -f "$HOME"/.tally/baseline-vms.json`);
    const first = await t.call<KindQualification>('kindQualify.start', { deviceId: t.deviceId });
    const q1 = await t.core.kindOps.qualify.waitForEnd(first.id);
    expect(q1.cpu?.cameras).toEqual(['Duc_Tai_Dendo_1', 'Duc_Tai_Dendo_2']);
    expect(q1.cpu?.samples).toHaveLength(3);
    expect(q1.cpu?.recordedBaseline, q1.summary).toBe(true);
    expect(q1.summary).toMatch(/This run recorded the box’s baseline/);
    const kept = JSON.parse(await onBox(t, sh`cat "$HOME"/.tally/baseline-vms.json`)) as {
      perCamera: Record<string, number>;
    };
    expect(Object.keys(kept.perCamera)).toEqual(['Duc_Tai_Dendo_1', 'Duc_Tai_Dendo_2']);

    // A baseline far below what the cameras take (libx265 encodes here): over it, with the figure.
    await onBox(
      t,
      sh`printf '%s\n' ${JSON.stringify({ recordedAt: '2026-12-01T00:00:00Z', totalPercent: 0.2, perCamera: { Duc_Tai_Dendo_1: 0.1, Duc_Tai_Dendo_2: 0.1 }, samples: 6, everyS: 5 })} > "$HOME"/.tally/baseline-vms.json`,
    );
    const second = await t.call<KindQualification>('kindQualify.start', { deviceId: t.deviceId });
    const q2 = await t.core.kindOps.qualify.waitForEnd(second.id);
    expect(q2.outcome).toBe('failed');
    expect(q2.cpu?.recordedBaseline).toBe(false);
    expect(q2.checks.find((c) => c.id === 'total')).toMatchObject({
      state: 'failed',
      limit: '≤ 0.2 % (baseline 0.2 % + 15 %)',
    });
  }, 180_000);
});
