/**
 * Applying encoder changes to the emulated R58 end to end, through the real Console's commands: the change checked
 * in the console, then one detached job on the device writing config.yml, committing it, restarting the recorder
 * and watching it for the probation window (5 s here, 30 s in the product), going back by itself when unhealthy.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigChangeInput, ConfigPreview, Operation, Reply } from '../../src-main/contract/index.js';
import { sh, type ShellCommand } from '../../src-main/core/device/quote.js';
import { emulatorAvailable } from '../../src-main/emulator/index.js';
import { startEmulatedConsole, type EmulatedConsole } from '../fixtures/emulated-console.js';

const ok = await emulatorAvailable();
const why = ok ? '' : ' [skipped: the emulator needs root with network namespaces, veth and nftables]';

const REPO = '/opt/preke-r58-recorder';
const WATCH_MS = 5_000;
const PANIC_ENCODER = 'mpph264enc bps=8000000 bps-max=16000000';

interface AuditLine {
  action: string;
  detail?: string;
  result: string;
  message?: string;
}

describe.skipIf(!ok)(`config changes on the emulated R58 (probation shortened to 5 s)${why}`, () => {
  let t: EmulatedConsole;

  const run = async (cmd: ShellCommand): Promise<string> => {
    const r = await t.core.connections.exec(t.deviceId, cmd, { timeoutMs: 20_000 });
    if (r.code !== 0) throw new Error(`${cmd.text}: exit ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  const head = async (): Promise<string> => (await run(sh`git -C ${REPO} rev-parse HEAD`)).trim();
  const subject = async (rev = 'HEAD'): Promise<string> =>
    (await run(sh`git -C ${REPO} log -1 --format=%s ${rev}`)).trim();
  const configText = (): Promise<string> => run(sh`cat ${REPO}/config.yml`);
  const mainPid = async (): Promise<number> =>
    Number((await run(sh`systemctl show -p MainPID --value preke-recorder`)).trim());
  const invoke = (name: string, input: unknown): Promise<Reply> =>
    t.core.invoke(name, input, { owner: 'test' });
  const latest = (id: string): Operation | undefined =>
    t
      .payloads('operation.changed')
      .map((p) => p.operation)
      .filter((o) => o.id === id)
      .at(-1);
  const finished = (id: string): Promise<Operation> =>
    t.until(
      `operation ${id} to end`,
      () => {
        const op = latest(id);
        return op && op.state !== 'running' ? op : undefined;
      },
      120_000,
    );
  const audits = async (): Promise<AuditLine[]> =>
    (await fs.readFile(path.join(t.dataDir, 'audit.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditLine);
  const streaming = async (): Promise<string[]> => {
    const status = JSON.parse(await run(sh`curl -s --max-time 2 http://127.0.0.1:8000/status`)) as {
      cameras?: Record<string, string>;
    };
    return Object.entries(status.cameras ?? {})
      .filter(([, s]) => s.startsWith('streaming'))
      .map(([name]) => name)
      .sort();
  };

  beforeAll(async () => {
    t = await startEmulatedConsole({
      cameras: 4,
      console: { applyWatchMs: WATCH_MS, applyCamerasMs: 15_000 },
    });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('switches cam0-cam3 to h264-hw at 6000 kbit/s as one job: HEAD kept, commit, restart, healthy for the window', async () => {
    const change: ConfigChangeInput = {
      deviceId: t.deviceId,
      cameras: ['cam0', 'cam1', 'cam2', 'cam3'],
      preset: 'h264-hw',
      bitrateKbps: 6000,
    };
    const headBefore = await head();
    const pidBefore = await mainPid();
    const preview = await t.call<ConfigPreview>('config.preview', change);
    expect(preview.blocked).toBeNull();
    expect(preview.danger).toBeNull();
    expect(preview.repo).toEqual({ head: headBefore, dirty: false, dirtyFiles: [] });
    expect(preview.budget.total).toBe(4);
    expect(preview.diff).toMatch(/^-.*bps: 8000000/m);
    expect(preview.diff).toMatch(/^\+.*bps: 6000000/m);
    expect(preview.before).toBe(await configText());

    const started = await t.call<Operation>('config.apply', change);
    expect(started.state).toBe('running');
    expect(started.steps[0]).toMatchObject({ name: 'Check the change', state: 'done' });
    // It answers once the job holds the device's lease.
    expect(started.steps[1]?.state).not.toBe('pending');
    const op = await finished(started.id);
    const took = Date.parse(op.endedAt ?? '') - Date.parse(op.startedAt);
    console.log(
      `apply end to end: ${took} ms (window ${WATCH_MS} ms); steps: ${op.steps.map((s) => `${s.name} ${s.durationMs ?? '?'} ms`).join(', ')}`,
    );
    expect(op.state, JSON.stringify(op, null, 2)).toBe('succeeded');
    expect(op.steps.map((s) => [s.name, s.state])).toEqual([
      ['Check the change', 'done'],
      ['Keep HEAD under a backup ref', 'done'],
      ['Write config.yml and commit it', 'done'],
      ['Restart the recorder', 'done'],
      ['Watch: cameras, VPU sessions, kernel, encoders', 'done'],
    ]);
    expect(op.steps[4]?.detail).toMatch(/4 of 4 streaming, 4 VPU sessions, no kernel fault/);
    expect(op.summary).toMatch(/^Applied as [0-9a-f]{7}: healthy for 5 s\.$/);
    expect(op.previousCommit).toBe(headBefore);
    expect(op.commit).toBe(await head());
    expect(await subject()).toMatch(/^Tally: cam0-cam3 → h264-hw \(mpph264enc .*bps=6000000\)$/);
    expect((await run(sh`git -C ${REPO} rev-parse HEAD~1`)).trim()).toBe(headBefore);
    expect((await run(sh`git -C ${REPO} rev-parse refs/tally/backup/${op.id}`)).trim()).toBe(headBefore);
    expect(await configText()).toBe(preview.after);
    expect((await run(sh`git -C ${REPO} status --porcelain`)).trim()).toBe('');
    expect(await mainPid()).not.toBe(pidBefore);
    expect(await streaming()).toEqual(['cam0', 'cam1', 'cam2', 'cam3']);

    const listed = await t.call<Operation[]>('operations.list', { deviceId: t.deviceId });
    expect(listed[0]).toMatchObject({ id: op.id, state: 'succeeded' });
    expect((await audits()).filter((a) => a.action === 'config.apply').map((a) => a.result)).toEqual([
      'started',
      'ok',
    ]);
  }, 180_000);

  it('the panic config: refused without the override; with it, the Oops is caught and the device goes back by itself, healthy, keeping the bad commit under a ref', async () => {
    const change: ConfigChangeInput = {
      deviceId: t.deviceId,
      cameras: 'all',
      preset: 'h264-hw',
      encoder: PANIC_ENCODER,
    };
    const headBefore = await head();
    const textBefore = await configText();

    const preview = await t.call<ConfigPreview>('config.preview', change);
    expect(preview.danger?.id).toBe('mpp-h264-bps-max-without-qp');
    expect(preview.blocked).toMatch(/Dangerous setting: mpph264enc with bps-max .*seed 000.*override/);
    const refused = await invoke('config.apply', change);
    expect(refused).toMatchObject({ ok: false, error: { code: 'refused' } });
    expect(await head()).toBe(headBefore);
    expect((await audits()).at(-1)).toMatchObject({ action: 'config.apply', result: 'refused' });

    const started = await t.call<Operation>('config.apply', { ...change, overrideDanger: true });
    const op = await finished(started.id);
    console.log(
      `panic config with override: ${op.steps.map((s) => `${s.name} ${s.state} ${s.durationMs ?? '?'} ms (${s.detail})`).join('; ')}`,
    );
    expect(op.state, JSON.stringify(op, null, 2)).toBe('reverted');
    expect(op.summary).toMatch(
      /^The change was unhealthy \(new kernel fault: .*Oops.*\); went back to [0-9a-f]{7} by itself, healthy again\.$/,
    );
    expect(op.steps.map((s) => s.state)).toEqual(['done', 'done', 'done', 'done', 'failed', 'done', 'done']);
    expect(op.evidence.some((l) => /Internal error: Oops/.test(l))).toBe(true);
    expect(op.previousCommit).toBe(headBefore);
    // Back where it was, and nothing lost: the unhealthy commit stays reachable.
    expect(await head()).toBe(headBefore);
    expect(await configText()).toBe(textBefore);
    expect(op.commit).not.toBeNull();
    expect((await run(sh`git -C ${REPO} rev-parse refs/tally/failed/${op.id}`)).trim()).toBe(op.commit);
    expect(await subject(op.commit ?? '')).toMatch(
      /^Tally: cam0-cam3 → custom \(mpph264enc bps=8000000 bps-max=16000000\) \[danger overridden\]$/,
    );
    expect(await streaming()).toEqual(['cam0', 'cam1', 'cam2', 'cam3']);
    const lines = await audits();
    expect(lines.find((a) => a.action === 'config.override-danger')).toMatchObject({
      result: 'ok',
      message: expect.stringMatching(/^mpp-h264-bps-max-without-qp: /),
    });
    expect(lines.filter((a) => a.action === 'config.apply').at(-1)).toMatchObject({ result: 'error' });
  }, 240_000);

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
      const preview = await t.call<ConfigPreview>('config.preview', change);
      expect(preview.repo).toEqual({ head: headBefore, dirty: true, dirtyFiles: ['config.yml'] });
      expect(preview.blocked).toMatch(
        /uncommitted changes \(config\.yml\).*Commit or discard them on the device first/,
      );
      expect(await invoke('config.apply', change)).toMatchObject({ ok: false, error: { code: 'refused' } });
      expect(await configText()).toBe(edited);
      expect(await head()).toBe(headBefore);
    } finally {
      await run(sh`git -C ${REPO} checkout -- config.yml`);
    }
  });

  it('refuses a second operation on the same device while one runs, naming it', async () => {
    const first = await t.call<Operation>('config.apply', {
      deviceId: t.deviceId,
      cameras: ['cam2'],
      preset: 'h264-hw',
      bitrateKbps: 5000,
    });
    const second = await invoke('config.apply', {
      deviceId: t.deviceId,
      cameras: ['cam3'],
      preset: 'h264-hw',
      bitrateKbps: 5000,
    });
    expect(second).toMatchObject({
      ok: false,
      error: {
        code: 'busy',
        message: expect.stringMatching(
          /demo-r58 is busy: Apply h264-hw to cam2 on demo-r58 is running \(started by this console at/,
        ),
      },
    });
    expect((await finished(first.id)).state).toBe('succeeded');
  }, 180_000);

  it('the link drops during the watch: the device finishes by itself, and the console shows the outcome after the reconnect', async () => {
    const headBefore = await head();
    const started = await t.call<Operation>('config.apply', {
      deviceId: t.deviceId,
      cameras: ['cam1'],
      preset: 'h264-hw',
      bitrateKbps: 7000,
    });
    await t.until(
      'the watch',
      () => (latest(started.id)?.steps[4]?.state === 'running' ? true : undefined),
      60_000,
    );
    await t.emu.control.linkDown();
    await t.until(
      'the console to notice the drop',
      () => (latest(started.id)?.following === false ? true : undefined),
      30_000,
    );
    const exitCode = await t.jobExitOnDevice(started.id);
    expect(exitCode).toBe('0');
    await t.emu.control.linkUp();
    const final = await finished(started.id);
    expect(final.state, final.summary).toBe('succeeded');
    expect(final.following).toBe(true);
    expect(final.previousCommit).toBe(headBefore);
    expect(final.commit).toBe(await head());
  }, 240_000);

  it('turns bad input away with a clear message before anything reaches the device', async () => {
    const base = { deviceId: t.deviceId, cameras: 'all' as const, preset: 'h264-hw' as const };
    const headBefore = await head();
    const auditsBefore = (await audits()).length;
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
    for (const [change, expected] of cases)
      for (const name of ['config.preview', 'config.apply'])
        expect(await invoke(name, change)).toMatchObject({
          ok: false,
          error: { code: 'invalid_input', message: expect.stringMatching(expected) },
        });
    expect(await head()).toBe(headBefore);
    expect((await audits()).length).toBe(auditsBefore);
  });

  it('refuses h264-sw on all four cameras on CPU: the plan at the r58 profile’s figures plus what the board runs, measured', async () => {
    // The monitor's readings of the emulated board (its /proc/stat follows the same profile).
    await t.until('CPU readings', () => t.core.monitor.cpuNow(t.deviceId) ?? undefined, 30_000);
    const headBefore = await head();
    const change: ConfigChangeInput = { deviceId: t.deviceId, cameras: 'all', preset: 'h264-sw' };
    const preview = await t.call<ConfigPreview>('config.preview', change);
    expect(preview.budget.verdict).toBe('ok');
    const cpu = preview.budget.cpu;
    expect(cpu).toMatchObject({ verdict: 'refuse', safe: 70, practical: 85 });
    expect(cpu?.others.source).toBe('measured');
    // The recorder's own four streams are taken out of the reading, so the rest is about the profile's base (4–8 %).
    expect(cpu?.others.low).toBeLessThan(20);
    expect(cpu?.low).toBeCloseTo(120 + (cpu?.others.low ?? 0));
    expect(preview.blocked).toMatch(
      /^CPU: 4 × x264enc at 30–40 % \+ \d+ % for the rest of the board \(\d+ % measured over the last 30 s, less [\d–]+ % for the recorder's 4 streams now\) = \d+–\d+ % of the board's CPU: over the practical limit of 85 %/,
    );
    expect(await invoke('config.apply', change)).toMatchObject({ ok: false, error: { code: 'refused' } });
    expect(await head()).toBe(headBefore);
  });
});
