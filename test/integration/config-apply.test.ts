/**
 * Applying encoder changes to the emulated R58 end to end: the real Console's SSH connection and monitor, a real
 * RecorderService and CameraReader, and the ConfigApplier writing, committing, restarting and watching on the
 * device. The kernel watch is shortened to 5 s here (30 s in the product).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alarm, ConfigChangeInput, Operation } from '../../src-main/contract/index.js';
import { loadProfile } from '../../src-main/core/device/profile.js';
import { sh, type ShellCommand } from '../../src-main/core/device/quote.js';
import { CameraReader } from '../../src-main/core/recorder/cameras.js';
import { ConfigApplier, type AuditInput } from '../../src-main/core/recorder/config-applier.js';
import { RecorderService } from '../../src-main/core/recorder/recorder-service.js';
import type { ConnectionManager } from '../../src-main/core/ssh/connection-manager.js';
import { emulatorAvailable } from '../../src-main/emulator/index.js';
import { startEmulatedConsole, type EmulatedConsole } from '../fixtures/emulated-console.js';

const ok = await emulatorAvailable();
const why = ok ? '' : ' [skipped: the emulator needs root with network namespaces, veth and nftables]';

const REPO = '/opt/preke-r58-recorder';
const WATCH_MS = 5_000;
const KERNEL_ALARMS = new Set(['oops', 'panic', 'rcu_stall', 'vpu_error']);
const PANIC_ENCODER = 'mpph264enc bps=8000000 bps-max=16000000';

describe.skipIf(!ok)(`config changes on the emulated R58 (kernel watch shortened to 5 s)${why}`, () => {
  let t: EmulatedConsole;
  let recorder: RecorderService;
  let applier: ConfigApplier;
  let audits: AuditInput[];
  let emitted: Operation[];
  let execs: number;

  const run = async (cmd: ShellCommand): Promise<string> => {
    const r = await t.core.connections.exec(t.deviceId, cmd, { timeoutMs: 20_000 });
    if (r.code !== 0) throw new Error(`${cmd.text}: exit ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  const head = async (): Promise<string> => (await run(sh`git -C ${REPO} rev-parse HEAD`)).trim();
  const subject = async (): Promise<string> => (await run(sh`git -C ${REPO} log -1 --format=%s`)).trim();
  const configText = (): Promise<string> => run(sh`cat ${REPO}/config.yml`);
  const mainPid = async (): Promise<number> =>
    Number((await run(sh`systemctl show -p MainPID --value preke-recorder`)).trim());
  const finished = (id: string): Promise<Operation> =>
    t.until(
      `operation ${id} to end`,
      () => applier.list(t.deviceId).find((o) => o.id === id && o.state !== 'running'),
      90_000,
    );
  const liveSessions = (): number | null =>
    t.core.monitor.summary().find((s) => s.deviceId === t.deviceId)?.vpuSessions ?? null;

  beforeAll(async () => {
    t = await startEmulatedConsole({ cameras: 4 });
    const profileOf = () => loadProfile('r58');
    const deviceName = () => 'demo-r58';
    // Counts every command the applier sends, so bad input can be shown to reach nothing.
    execs = 0;
    const real = t.core.connections;
    const counted = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop === 'exec')
          return (...args: Parameters<ConnectionManager['exec']>) => {
            execs++;
            return target.exec(...args);
          };
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    recorder = new RecorderService({
      connections: counted,
      profileOf,
      deviceName,
      onState: () => undefined,
      onJournal: () => undefined,
    });
    recorder.startJournal(t.deviceId);
    audits = [];
    emitted = [];
    applier = new ConfigApplier({
      leases: t.core.leases,
      connections: counted,
      profileOf,
      deviceName,
      recorder,
      cameras: new CameraReader(counted, profileOf),
      liveSessions,
      kernelAlarmsSince: (id: string, since: string): Alarm[] =>
        t.core.monitor.alarms
          .list()
          .filter((a) => a.deviceId === id && KERNEL_ALARMS.has(a.kind) && a.lastAt >= since),
      audit: async (entry) => {
        audits.push(entry);
      },
      onOperation: (op) => emitted.push(op),
      watchMs: WATCH_MS,
    });
    await t.until('the monitor reading 4 VPU sessions', () => (liveSessions() === 4 ? true : undefined));
  });
  afterAll(async () => {
    recorder?.close();
    await t?.stop();
  });

  it('switches cam0-cam3 to h264-hw at 6000 kbit/s: commit, restart, 4 cameras online, 4 encoder sessions', async () => {
    const change: ConfigChangeInput = {
      deviceId: t.deviceId,
      cameras: ['cam0', 'cam1', 'cam2', 'cam3'],
      preset: 'h264-hw',
      bitrateKbps: 6000,
    };
    const headBefore = await head();
    const pidBefore = await mainPid();
    const preview = await applier.preview(change);
    expect(preview.blocked).toBeNull();
    expect(preview.danger).toBeNull();
    expect(preview.repo).toEqual({ head: headBefore, dirty: false, dirtyFiles: [] });
    expect(preview.budget.total).toBe(4);
    expect(preview.budget.verdict).toBe('ok');
    expect(preview.diff).toMatch(/^-.*bps: 8000000/m);
    expect(preview.diff).toMatch(/^\+.*bps: 6000000/m);
    expect(preview.before).toBe(await configText());

    const started = await applier.apply(change);
    expect(started.state).toBe('running');
    expect(started.steps[0]).toMatchObject({ name: 'Check the change', state: 'done' });
    const op = await finished(started.id);
    const took = Date.parse(op.endedAt ?? '') - Date.parse(op.startedAt);
    console.log(
      `apply end to end: ${took} ms (watch ${WATCH_MS} ms); steps: ${op.steps.map((s) => `${s.name} ${s.durationMs ?? '?'} ms`).join(', ')}`,
    );
    expect(op.state, JSON.stringify(op, null, 2)).toBe('succeeded');
    expect(op.steps.map((s) => s.state)).toEqual(['done', 'done', 'done', 'done', 'done', 'done']);
    expect(op.steps.at(-1)?.name).toBe('Watch the kernel for 5 s');
    expect(op.previousCommit).toBe(headBefore);
    expect(op.commit).toBe(await head());
    expect(await subject()).toMatch(/^Tally: cam0-cam3 → h264-hw \(mpph264enc .*bps=6000000\)$/);
    expect((await run(sh`git -C ${REPO} rev-parse HEAD~1`)).trim()).toBe(headBefore);
    expect(await configText()).toBe(preview.after);
    expect((await run(sh`git -C ${REPO} status --porcelain`)).trim()).toBe('');
    expect(await mainPid()).not.toBe(pidBefore);

    const cameras = await new CameraReader(t.core.connections, () => loadProfile('r58')).list(t.deviceId);
    expect(cameras.filter((c) => c.online).map((c) => c.name)).toEqual(['cam0', 'cam1', 'cam2', 'cam3']);
    const endedAt = Date.parse(op.endedAt ?? '');
    const sample = await t.until('a monitor sample after the change with 4 encoders', () => {
      const s = t.core.monitor.snapshot(t.deviceId).samples.at(-1);
      return s && s.at > endedAt && s.vpu.encoders === 4 ? s : undefined;
    });
    expect(sample.vpu.total).toBe(4);
    // Progress went out on every step change.
    expect(emitted.filter((o) => o.id === op.id).length).toBeGreaterThanOrEqual(10);
    expect(audits.filter((a) => a.action === 'config.apply').map((a) => a.result)).toEqual(['started', 'ok']);
  });

  it('refuses the panic config, applies it with the override, reports the Oops, and reverts', async () => {
    const change: ConfigChangeInput = {
      deviceId: t.deviceId,
      cameras: 'all',
      preset: 'h264-hw',
      encoder: PANIC_ENCODER,
    };
    const headBefore = await head();
    const textBefore = await configText();

    const preview = await applier.preview(change);
    expect(preview.danger?.id).toBe('mpp-h264-bps-max-without-qp');
    expect(preview.blocked).toMatch(/Dangerous setting: mpph264enc with bps-max .*seed 000.*override/);
    await expect(applier.apply(change)).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringMatching(/Dangerous setting/),
    });
    expect(await head()).toBe(headBefore);
    expect(await configText()).toBe(textBefore);
    expect(audits.at(-1)).toMatchObject({ action: 'config.apply', result: 'refused' });

    const started = await applier.apply({ ...change, overrideDanger: true });
    const op = await finished(started.id);
    console.log(
      `panic config with override: ${op.steps.map((s) => `${s.name} ${s.state} ${s.durationMs ?? '?'} ms (${s.detail})`).join('; ')}`,
    );
    expect(op.state).toBe('failed');
    const failed = op.steps.find((s) => s.state === 'failed');
    expect(failed?.name).toBe('Watch the kernel for 5 s');
    expect(failed?.detail).toMatch(/Kernel alarm within \d+ s of the restart: Kernel Oops/);
    expect(op.evidence.some((l) => /Internal error: Oops/.test(l))).toBe(true);
    expect(op.previousCommit).toBe(headBefore);
    expect(op.commit).toBe(await head());
    expect(await subject()).toMatch(
      /^Tally: cam0-cam3 → custom \(mpph264enc bps=8000000 bps-max=16000000\) \[danger overridden\]$/,
    );
    expect(audits.find((a) => a.action === 'config.override-danger')).toMatchObject({
      result: 'ok',
      message: expect.stringMatching(/^mpp-h264-bps-max-without-qp: /),
    });
    expect(audits.at(-1)).toMatchObject({ action: 'config.apply', result: 'error' });

    const revert = await applier.revert(t.deviceId, op.previousCommit ?? '');
    const back = await finished(revert.id);
    expect(back.state, JSON.stringify(back, null, 2)).toBe('succeeded');
    expect(back.kind).toBe('config.revert');
    expect(await configText()).toBe(textBefore);
    expect(await subject()).toBe(
      `Tally: revert config.yml to ${headBefore.slice(0, 7)} (${(await run(sh`git -C ${REPO} log -1 --format=%s ${headBefore}`)).trim()})`,
    );
    expect(back.previousCommit).toBe(op.commit);
    expect(audits.filter((a) => a.action === 'config.revert').map((a) => a.result)).toEqual([
      'started',
      'ok',
    ]);
  });

  it('reports a dirty tree and leaves it alone', async () => {
    const headBefore = await head();
    await run(sh`echo '# edited by hand on the device' >> ${REPO}/config.yml`);
    try {
      const edited = await configText();
      const change: ConfigChangeInput = {
        deviceId: t.deviceId,
        cameras: ['cam1'],
        preset: 'h264-hw',
        bitrateKbps: 4000,
      };
      const preview = await applier.preview(change);
      expect(preview.repo).toEqual({ head: headBefore, dirty: true, dirtyFiles: ['config.yml'] });
      expect(preview.blocked).toMatch(
        /uncommitted changes \(config\.yml\).*Commit or discard them on the device first/,
      );
      await expect(applier.apply(change)).rejects.toMatchObject({ code: 'refused' });
      await expect(applier.revert(t.deviceId, headBefore.slice(0, 7))).rejects.toMatchObject({
        code: 'refused',
      });
      expect(await configText()).toBe(edited);
      expect(await head()).toBe(headBefore);
    } finally {
      await run(sh`git -C ${REPO} checkout -- config.yml`);
    }
  });

  it('refuses a second operation on the same device while one runs', async () => {
    const first = await applier.apply({
      deviceId: t.deviceId,
      cameras: ['cam2'],
      preset: 'h264-hw',
      bitrateKbps: 5000,
    });
    await expect(
      applier.apply({ deviceId: t.deviceId, cameras: ['cam3'], preset: 'h264-hw', bitrateKbps: 5000 }),
    ).rejects.toMatchObject({
      code: 'busy',
      message: expect.stringMatching(
        /demo-r58 is busy: Apply h264-hw to cam2 on demo-r58 is running \(started by this console at/,
      ),
    });
    expect((await finished(first.id)).state).toBe('succeeded');
  });

  it('turns bad input away with a clear message before anything reaches the device', async () => {
    const base = { deviceId: t.deviceId, cameras: 'all' as const, preset: 'h264-hw' as const };
    const before = execs;
    const cases: Array<[ConfigChangeInput, RegExp]> = [
      [{ ...base, bitrateKbps: -5 }, /At least 100 kbit\/s/],
      [{ ...base, bitrateKbps: 1e9 }, /At most 100,000 kbit\/s/],
      [
        { ...base, encoder: 'mpph264enc bps=1;reboot' },
        /mpph264enc bps: the value "1;reboot" contains a ";"/,
      ],
      [{ ...base, encoder: "mpph264enc bps='1'" }, /contains a quote/],
      [
        { ...base, encoder: 'mpph264encc bps=8000000' },
        /Unknown encoder "mpph264encc"\. Did you mean mpph264enc\?/,
      ],
      [
        { ...base, encoder: 'mpph265enc bps=8000000' },
        /mpph265enc encodes h265, but the h264-hw preset is h264/,
      ],
      [
        { ...base, encoder: 'mpph264enc bps=8000000', bitrateKbps: 6000 },
        /either a bitrate .* or a typed encoder/,
      ],
      [{ ...base, cameras: ['cam0;reboot'] }, /cameras/],
    ];
    for (const [change, expected] of cases) {
      await expect(applier.preview(change)).rejects.toMatchObject({
        code: 'invalid_input',
        message: expect.stringMatching(expected),
      });
      await expect(applier.apply(change)).rejects.toMatchObject({
        code: 'invalid_input',
        message: expect.stringMatching(expected),
      });
    }
    await expect(applier.revert(t.deviceId, 'HEAD;reboot')).rejects.toMatchObject({ code: 'invalid_input' });
    expect(execs).toBe(before);
  });
});
