/**
 * Qualifying encoders on the emulated R58 (issue 13): seed 000's Tests 1–3 as one detached job holding the lease,
 * shortened here (3 s, 5 s, 3 s at 640x360) through the Console option; the variant recorded is still `quick`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  CameraView,
  History,
  Qualification,
  QualifyPlan,
  Reply,
} from '../../src-main/contract/index.js';
import { historyBadges } from '../../src-main/contract/index.js';
import { sh } from '../../src-main/core/device/quote.js';
import { emulatorAvailable } from '../../src-main/emulator/index.js';
import { startEmulatedConsole, type EmulatedConsole } from '../fixtures/emulated-console.js';

const ok = await emulatorAvailable();
const why = ok ? '' : ' [skipped: the emulator needs root with network namespaces, veth and nftables]';

describe.skipIf(!ok)(`qualification on the emulated R58 (shortened quick variant)${why}`, () => {
  let t: EmulatedConsole;

  const invoke = (name: string, input: unknown): Promise<Reply> =>
    t.core.invoke(name, input, { owner: 'test' });
  const streaming = async (): Promise<string[]> =>
    (await t.call<CameraView[]>('cameras.list', { deviceId: t.deviceId }))
      .filter((c) => c.signal === 'streaming')
      .map((c) => c.name)
      .sort();
  const history = (): Promise<History> => t.call<History>('history.list', { deviceId: t.deviceId });

  beforeAll(async () => {
    t = await startEmulatedConsole({
      cameras: 2,
      console: {
        qualifyDurationsS: { quick: [3, 5, 3], full: [3, 5, 3] },
        qualifyFrame: { width: 640, height: 360, framerate: 30 },
      },
    });
    await t.until(
      'cameras streaming',
      async () => ((await streaming()).length === 2 ? true : undefined),
      60_000,
    );
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('qualifies h264-hw (quick): passes with evidence for all three tests, writes the note on HEAD, and refuses a second operation meanwhile', async () => {
    const before = await streaming();
    const plan = await t.call<QualifyPlan>('qualify.plan', {
      deviceId: t.deviceId,
      target: { kind: 'preset', preset: 'h264-hw' },
      variant: 'quick',
    });
    const head = (await history()).head;
    expect(plan.blocked).toBeNull();
    expect(plan.subject.encoder).toMatch(/^mpph264enc qp-init=26/);
    expect(plan.noteOn).toBe(head);
    expect(plan.totalS).toBe(11);
    expect(plan.recorderState).toBe('active');
    expect(plan.sessions).toBe(1);
    expect(plan.danger).toBeNull();

    const started = await t.call<Qualification>('qualify.start', {
      deviceId: t.deviceId,
      target: { kind: 'preset', preset: 'h264-hw' },
      variant: 'quick',
      confirmed: true,
    });
    // The job takes the device's lease as it starts; once Test 1 runs, nothing else may change the device.
    await t.until(
      'Test 1 running',
      () =>
        t
          .payloads('qualify.changed')
          .some((p) => p.qualification.id === started.id && p.qualification.tests[0]?.state === 'running')
          ? true
          : undefined,
      60_000,
    );
    const refused = await invoke('recorder.control', {
      deviceId: t.deviceId,
      action: 'restart',
      confirmed: true,
    });
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.error.code).toBe('busy');
      expect(refused.error.message).toMatch(/Qualify mpph264enc .* is running/);
    }
    const report = await t.core.qualify.waitForEnd(started.id);
    console.log(
      JSON.stringify(
        report.tests.map((x) => ({ ...x, samples: x.samples.length })),
        null,
        1,
      ),
    );
    expect(report.outcome, report.summary).toBe('passed');
    expect(report.variant).toBe('quick');
    expect(report.kernel).toMatch(/\S/);
    expect(report.recorderBefore).toBe('active');
    expect(report.recorderAfter).toBe('active');
    for (const [i, test] of report.tests.entries()) {
      expect(test.state, `${test.title}: ${test.reason}`).toBe('passed');
      expect(test.kernelFaults).toBe(0);
      expect(test.sessionsOpened).toBe(1);
      // A push that did not end by itself is stopped and judged by MediaMTX (below): no rate of its own then.
      if (i !== 2 || test.encodeFps !== null) expect(test.encodeFps).toBeGreaterThan(25);
      expect(test.peakCpu).not.toBeNull();
      expect(test.memStartKb).toBeGreaterThan(0);
      expect(test.memEndKb).toBeGreaterThan(0);
    }
    expect(report.tests[0]?.probe).toMatchObject({ codec: 'h264', frames: 90 });
    expect(report.tests[2]?.mediamtx?.online).toBe(true);
    expect(report.note).toMatchObject({ commit: head, written: true });

    const after = await history();
    const headCommit = after.commits.find((c) => c.head);
    expect(headCommit?.qualifications[0]).toMatchObject({ verdict: 'pass', variant: 'quick', commit: head });
    expect(historyBadges(headCommit!).map((b) => b.id)).toContain('known-good');
    expect(await t.call<Qualification[]>('qualify.list', { deviceId: t.deviceId })).toHaveLength(1);
    await t.until('the same cameras streaming', async () =>
      JSON.stringify(await streaming()) === JSON.stringify(before) ? true : undefined,
    );
  });

  it('qualifies seed 000’s panic commit: fails on Test 1 with the Oops as evidence, and the board is healthy again with the same cameras', async () => {
    const before = await streaming();
    const panic = (await history()).commits.find((c) =>
      c.subject.startsWith('Switch to mpph264enc hardware encoder to cut CPU'),
    );
    expect(panic).toBeDefined();
    const target = { kind: 'commit', commit: panic!.sha };
    const plan = await t.call<QualifyPlan>('qualify.plan', {
      deviceId: t.deviceId,
      target,
      variant: 'quick',
    });
    expect(plan.blocked).toBeNull();
    expect(plan.danger).toMatch(/Dec 19 kernel panic/);
    expect(plan.subject.encoder).toBe('mpph264enc bps=8000000 bps-max=16000000');
    expect(plan.noteOn).toBe(panic!.sha);

    const started = await t.call<Qualification>('qualify.start', {
      deviceId: t.deviceId,
      target,
      variant: 'quick',
      confirmed: true,
    });
    const report = await t.core.qualify.waitForEnd(started.id);
    expect(report.outcome, report.summary).toBe('failed');
    expect(report.tests.map((x) => x.state)).toEqual(['failed', 'skipped', 'skipped']);
    expect(report.tests[0]?.reason).toMatch(/Internal error: Oops/);
    expect(report.tests[0]?.kernelFaults).toBeGreaterThan(0);
    expect(report.tests[0]?.kernelLines.join('\n')).toMatch(/Oops/);
    expect(report.recorderAfter).toBe('active');
    expect(report.note).toMatchObject({ commit: panic!.sha, written: true });

    const failed = (await history()).commits.find((c) => c.sha === panic!.sha);
    expect(failed?.qualifications[0]).toMatchObject({ verdict: 'fail' });
    expect(failed?.qualifications[0]?.reason).toMatch(/Oops/);
    await t.until(
      'the same cameras streaming after the failed qualification',
      async () => (JSON.stringify(await streaming()) === JSON.stringify(before) ? true : undefined),
      60_000,
    );
    // Exactly the qualification's pipeline was killed: the cameras' sessions are back, nothing else holds one.
    await t.until('one VPU session per camera', async () => {
      const r = await t.core.connections.exec(
        t.deviceId,
        sh`sudo -n cat /sys/kernel/debug/mpp_service/session`,
      );
      return r.stdout.split('\n').filter((l) => l.startsWith('session')).length === before.length
        ? true
        : undefined;
    });
  });
});
