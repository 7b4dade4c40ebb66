/**
 * Ad-hoc pipelines on the emulated R58: seed 001's Test 1 encode as a detached job with its output streamed and its
 * VPU session seen by the monitor, a long encode stopped gracefully, and pipelines refused over the VPU budget or
 * for bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PipelineJob, PipelineRequestInput } from '../../src-main/contract/index.js';
import { loadProfile } from '../../src-main/core/device/profile.js';
import { sh } from '../../src-main/core/device/quote.js';
import { AdhocPipelines, type AdhocAuditInput } from '../../src-main/core/pipelines/adhoc-jobs.js';
import { presetEncoder } from '../../src-main/core/media/presets.js';
import { RemoteJobs } from '../../src-main/core/device/remote-jobs.js';
import { emulatorAvailable } from '../../src-main/emulator/index.js';
import { startEmulatedConsole, type EmulatedConsole } from '../fixtures/emulated-console.js';

const ok = await emulatorAvailable();
const why = ok ? '' : ' [skipped: the emulator needs root with network namespaces, veth and nftables]';

describe.skipIf(!ok)(`ad-hoc pipelines on the emulated R58${why}`, () => {
  let t: EmulatedConsole;
  let pipelines: AdhocPipelines;
  let emitted: PipelineJob[];
  let audits: AdhocAuditInput[];

  const liveSessions = (): number | null =>
    t.core.monitor.summary().find((s) => s.deviceId === t.deviceId)?.vpuSessions ?? null;
  const ended = (id: string, timeoutMs = 60_000): Promise<PipelineJob> =>
    t.until(
      `job ${id} to end`,
      () => pipelines.list(t.deviceId).find((j) => j.id === id && j.state !== 'running'),
      timeoutMs,
    );

  beforeAll(async () => {
    t = await startEmulatedConsole({ cameras: 4 });
    emitted = [];
    audits = [];
    pipelines = new AdhocPipelines({
      connections: t.core.connections,
      jobs: new RemoteJobs(t.core.connections),
      leases: t.core.leases,
      profileOf: () => loadProfile('r58'),
      liveSessions,
      sessionsOfPids: (id, pids) => {
        const sample = t.core.monitor.snapshot(id).samples.at(-1);
        if (!sample || sample.vpu.total === null) return null;
        return sample.vpu.byProcess.filter((p) => pids.includes(p.pid)).reduce((n, p) => n + p.sessions, 0);
      },
      onJob: (job) => emitted.push(job),
      audit: async (entry) => {
        audits.push(entry);
      },
    });
    await t.until('the monitor reading 4 VPU sessions', () => (liveSessions() === 4 ? true : undefined));
  });
  afterAll(async () => {
    pipelines?.close();
    await t?.stop();
  });

  it('refuses a typed pipeline with 5 mpph264enc branches while the 4 cameras hold 4 sessions', async () => {
    const branch = 't. ! queue ! mpph264enc qp-init=26 bps=2000000 ! fakesink';
    const text = `videotestsrc num-buffers=30 ! video/x-raw,width=320,height=240 ! tee name=t ${Array(5).fill(branch).join(' ')}`;
    const before = (await t.core.connections.exec(t.deviceId, sh`ls "$HOME"/.tally/jobs 2>/dev/null | wc -l`))
      .stdout;
    await expect(
      pipelines.run({ deviceId: t.deviceId, pipeline: { kind: 'typed', text } }),
    ).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringMatching(
        /takes 5 VPU sessions and the device has 4 open now: 9 is over the practical limit of 8/,
      ),
    });
    expect(audits.at(-1)).toMatchObject({ action: 'pipelines.run', result: 'refused' });
    const after = (await t.core.connections.exec(t.deviceId, sh`ls "$HOME"/.tally/jobs 2>/dev/null | wc -l`))
      .stdout;
    expect(after).toBe(before);
  });

  it("runs seed 001's Test 1 encode as a detached job: output streams, it exits 0, its 1 session was seen", async () => {
    const request: PipelineRequestInput = {
      deviceId: t.deviceId,
      pipeline: { kind: 'test-encode', encoder: presetEncoder('h264-hw') },
    };
    const started = Date.now();
    const job = await pipelines.run(request);
    expect(job.state).toBe('running');
    expect(job.expectedSessions).toBe(1);
    expect(job.command).toBe(
      'gst-launch-1.0 -e videotestsrc num-buffers=300 ! video/x-raw,width=1920,height=1080,framerate=30/1 ! ' +
        'mpph264enc qp-init=26 qp-min=10 qp-max=51 gop=30 rc-mode=cbr bps=8000000 ! ' +
        'video/x-h264,stream-format=byte-stream ! h264parse ! fakesink',
    );
    const done = await ended(job.id);
    console.log(
      `Test 1 encode: ${Date.now() - started} ms from run() to its end; sessions seen ${done.vpuSessions}`,
    );
    expect(done.state, done.output).toBe('exited');
    expect(done.exitCode).toBe(0);
    expect(done.output).toMatch(/Setting pipeline to PLAYING/);
    expect(done.output).toMatch(/Got EOS from element/);
    expect(done.vpuSessions).toBe(1);
    // Streamed: some update carried output while the job still ran.
    expect(emitted.some((j) => j.id === job.id && j.state === 'running' && j.output.length > 0)).toBe(true);
    expect(audits.filter((a) => a.detail?.includes(job.id)).map((a) => [a.action, a.result])).toEqual([
      ['pipelines.run', 'started'],
      ['pipelines.exit', 'ok'],
    ]);
  });

  it('stops a long test encode (buffers 0) gracefully: EOS, state stopped', async () => {
    const job = await pipelines.run({
      deviceId: t.deviceId,
      pipeline: {
        kind: 'test-encode',
        encoder: presetEncoder('h264-hw', 2000),
        width: 320,
        height: 240,
        buffers: 0,
      },
    });
    const running = await t.until('the long encode holding its session', () =>
      pipelines.list(t.deviceId).find((j) => j.id === job.id && j.vpuSessions === 1),
    );
    expect(running.state).toBe('running');
    const started = Date.now();
    const stopped = await pipelines.stop(t.deviceId, job.id);
    console.log(`stop: ${Date.now() - started} ms from stop() to the job's end`);
    expect(stopped.state).toBe('stopped');
    expect(stopped.exitCode).toBe(0);
    expect(stopped.output).toMatch(/sent SIGINT/);
    expect(stopped.output).toMatch(/EOS/);
    expect(stopped.output).not.toMatch(/sent SIGTERM/);
    const left = await t.core.connections.exec(t.deviceId, sh`pgrep -f 'width=32[0],height=240' || true`);
    expect(left.stdout.trim()).toBe('');
    expect((await pipelines.stop(t.deviceId, job.id)).state).toBe('stopped');
  });

  it('kills a pipeline that ignores SIGINT and SIGTERM (stop grace shortened to 0.5 s)', async () => {
    const impatient = new AdhocPipelines({
      connections: t.core.connections,
      jobs: new RemoteJobs(t.core.connections),
      leases: t.core.leases,
      profileOf: () => loadProfile('r58'),
      liveSessions,
      sessionsOfPids: () => null,
      onJob: () => undefined,
      audit: async (entry) => {
        audits.push(entry);
      },
      stopGraceMs: 500,
    });
    try {
      const job = await impatient.run({
        deviceId: t.deviceId,
        pipeline: {
          kind: 'test-encode',
          encoder: presetEncoder('h264-sw'),
          width: 176,
          height: 144,
          buffers: 0,
        },
      });
      await t.until('the pipeline playing', () =>
        impatient.list(t.deviceId).find((j) => j.id === job.id && /PLAYING/.test(j.output)),
      );
      // The emulator's gst-launch ignores SIGINT and SIGTERM after SIGUSR1, like a pipeline stuck in the driver.
      await t.core.connections.exec(t.deviceId, sh`pkill -USR1 -f 'width=17[6],height=144'`);
      const stopped = await impatient.stop(t.deviceId, job.id);
      expect(stopped.state).toBe('stopped');
      expect(stopped.exitCode).toBe(137);
      expect(stopped.output).toMatch(/sent SIGINT[\s\S]*sent SIGTERM[\s\S]*sent SIGKILL/);
      expect(audits.at(-1)).toMatchObject({ action: 'pipelines.stop', result: 'ok' });
    } finally {
      impatient.close();
    }
  });

  it('turns bad pipelines away before anything reaches the device', async () => {
    const typed = (text: string): PipelineRequestInput => ({
      deviceId: t.deviceId,
      pipeline: { kind: 'typed', text },
    });
    await expect(
      pipelines.run(typed('videotestsrc ! mpph264enc bps=1;reboot ! fakesink')),
    ).rejects.toMatchObject({
      code: 'invalid_input',
    });
    await expect(pipelines.run(typed('videotestsrc ! fakesinkk'))).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/Unknown element "fakesinkk"\. Did you mean fakesink\?/),
    });
    await expect(
      pipelines.run(typed('videotestsrc ! mpph264enc bps=8000000 bps-max=16000000 ! fakesink')),
    ).rejects.toMatchObject({ code: 'refused', message: expect.stringMatching(/Dangerous setting/) });
    await expect(
      pipelines.run({
        deviceId: t.deviceId,
        pipeline: { kind: 'test-encode', encoder: { element: 'mpph264enc', properties: { bps: "'1'" } } },
      }),
    ).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/contains a quote/) });
    await expect(
      pipelines.run({
        deviceId: t.deviceId,
        pipeline: { kind: 'test-encode', encoder: presetEncoder('h264-hw'), width: 100_000 },
      }),
    ).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/^pipeline\.width: /) });
  });
});
