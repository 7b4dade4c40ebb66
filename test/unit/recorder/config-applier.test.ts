/**
 * What the ConfigApplier refuses before anything reaches the device (the apply itself is a job on the device:
 * test/integration/config-apply.test.ts), against a scripted device that answers its reads.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DeviceStatus, RecorderState } from '../../../src-main/contract/index.js';
import type { DeviceAuditEntry } from '../../../src-main/core/audit/audit-log.js';
import { loadProfile } from '../../../src-main/core/device/profile.js';
import type { CpuReading } from '../../../src-main/core/media/cpu-budget.js';
import type { ShellCommand } from '../../../src-main/core/device/quote.js';
import type { RemoteJobs } from '../../../src-main/core/device/remote-jobs.js';
import { parsePorcelainZ } from '../../../src-main/core/device/repo.js';
import { encodersIn } from '../../../src-main/core/pipelines/adhoc-jobs.js';
import { ConfigApplier, cameraRange } from '../../../src-main/core/recorder/config-applier.js';
import type { ConnectionManager } from '../../../src-main/core/ssh/connection-manager.js';
import type { ExecOptions, ExecResult } from '../../../src-main/core/ssh/types.js';
import { cameraSpecs, configYml } from '../../../src-main/emulator/device/repo/config-yml.js';

const HEAD = 'a'.repeat(40);
const BLOB = 'c'.repeat(40);
const DEVICE = 'dev1';

/** A device that answers the applier's git and file commands; each part can be told to fail. */
class ScriptedDevice {
  text = configYml('h264-hw', cameraSpecs(4));
  dirty = '';
  link: DeviceStatus['state'] = 'connected';
  commands: string[] = [];

  exec = async (_id: string, cmd: ShellCommand, _opts: ExecOptions = {}): Promise<ExecResult> => {
    const text = cmd.text;
    this.commands.push(text);
    const reply = (code: number, stdout = '', stderr = ''): ExecResult => ({
      code,
      signal: null,
      stdout,
      stderr,
      durationMs: 1,
    });
    if (text.includes('--is-inside-work-tree')) return reply(0, `${HEAD}\0Proven config\n\x1e${this.dirty}`);
    if (text.includes('git hash-object -- config.yml && cat')) return reply(0, `${BLOB}\n${this.text}`);
    throw new Error(`unexpected command: ${text}`);
  };

  status = (): DeviceStatus => ({ state: this.link, detail: this.link, since: Date.now() });
}

function recorderState(recordings: RecorderState['recordings'] = []): RecorderState {
  return {
    unit: 'preke-recorder',
    activeState: 'active',
    subState: 'running',
    since: null,
    mainPid: 42,
    restarts: 0,
    recordings,
  };
}

function setup(opts: { recordings?: RecorderState['recordings']; cpu?: CpuReading | null } = {}): {
  device: ScriptedDevice;
  applier: ConfigApplier;
  audits: DeviceAuditEntry[];
} {
  const device = new ScriptedDevice();
  const audits: DeviceAuditEntry[] = [];
  const applier = new ConfigApplier({
    connections: {
      exec: device.exec,
      status: device.status,
      onStatus: () => () => undefined,
    } as unknown as ConnectionManager,
    jobs: {
      list: async () => [],
      start: async () => {
        throw new Error('no job is started in these tests');
      },
    } as unknown as RemoteJobs,
    dataDir: mkdtempSync(path.join(os.tmpdir(), 'tally-applier-')),
    who: 'test',
    profileOf: () => loadProfile('r58'),
    deviceName: () => 'r58-test',
    recorder: { status: async () => recorderState(opts.recordings) },
    probe: async () => {
      throw new Error('not probed');
    },
    liveSessions: () => 4,
    cpuNow: () => opts.cpu ?? null,
    audit: async (entry) => {
      audits.push(entry);
    },
    onOperation: () => undefined,
    leases: {
      read: async () => null,
      current: () => null,
      describe: () => '',
      busyError: () => new Error('busy') as never,
      refresh: async () => undefined,
    },
  });
  return { device, applier, audits };
}

const CHANGE = { deviceId: DEVICE, cameras: 'all' as const, preset: 'h264-hw' as const, bitrateKbps: 6000 };

describe('ConfigApplier: what it refuses before anything reaches the device', () => {
  it('blocks a change while recordings run, names them, and audits the refusal', async () => {
    const { applier, audits, device } = setup({
      recordings: [{ camera: 'cam2', file: '/var/recordings/cam2.mp4' }],
    });
    const preview = await applier.preview(CHANGE);
    expect(preview.blocked).toMatch(/Recording now on cam2: applying restarts the recorder/);
    await expect(applier.apply(CHANGE)).rejects.toMatchObject({ code: 'refused' });
    expect(audits).toMatchObject([{ action: 'config.apply', result: 'refused' }]);
    expect(device.commands.some((c) => c.includes('mktemp') || c.includes('commit'))).toBe(false);
  });

  it('refuses a dirty checkout and says how to look at it', async () => {
    const { applier, device } = setup();
    device.dirty = ' M config.yml\0';
    await expect(applier.apply(CHANGE)).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringMatching(
        /uncommitted changes \(config.yml\).*git -C \/opt\/preke-r58-recorder status/,
      ),
    });
  });

  it('refuses while the link is down, before reading anything', async () => {
    const { applier, device } = setup();
    device.link = 'unreachable';
    await expect(applier.apply(CHANGE)).rejects.toMatchObject({ code: 'unavailable' });
    expect(device.commands).toEqual([]);
  });

  it('blocks a change that changes nothing', async () => {
    const { applier } = setup();
    const preview = await applier.preview({ ...CHANGE, bitrateKbps: 8000 });
    expect(preview.diff).toBe('');
    expect(preview.blocked).toMatch(/already has this setting for cam0-cam3; nothing to apply/);
  });

  it('blocks h264-sw on four cameras on CPU, with the sum of the plan and of what the board runs now', async () => {
    // The monitor read 20 % over 30 s while the recorder ran its four mpph264enc streams (2–5 % each).
    const { applier, device } = setup({ cpu: { percent: 20, samples: 30, windowS: 30 } });
    const change = { deviceId: DEVICE, cameras: 'all' as const, preset: 'h264-sw' as const };
    const preview = await applier.preview(change);
    expect(preview.budget.verdict).toBe('ok');
    expect(preview.budget.cpu).toMatchObject({ low: 126, high: 166, verdict: 'refuse', now: 20 });
    expect(preview.blocked).toBe(
      "CPU: 4 × x264enc at 30–40 % + 6 % for the rest of the board (20 % measured over the last 30 s, less 8–20 % for the recorder's 4 streams now) = " +
        "126–166 % of the board's CPU: over the practical limit of 85 % even at the low figure. " +
        'Encode in hardware (mpph264enc at 2–5 % a stream), or keep x264enc to at most 2 cameras.',
    );
    await expect(applier.apply(change)).rejects.toMatchObject({ code: 'refused' });
    expect(device.commands.some((c) => c.includes('mktemp') || c.includes('commit'))).toBe(false);
  });

  it('lets h264-sw on two cameras through with a CPU warning, as seed 000 limits software encoding to 2', async () => {
    const { applier } = setup();
    const preview = await applier.preview({ deviceId: DEVICE, cameras: ['cam0', 'cam1'], preset: 'h264-sw' });
    expect(preview.budget.cpu).toMatchObject({ low: 68, high: 98, verdict: 'warn' });
    expect(preview.budget.cpu?.others.source).toBe('profile');
    expect(preview.blocked).toBeNull();
  });
});

describe('helpers', () => {
  it('names camera runs compactly', () => {
    expect(cameraRange(['cam0', 'cam1', 'cam2', 'cam3'])).toBe('cam0-cam3');
    expect(cameraRange(['cam0', 'cam2', 'cam3'])).toBe('cam0,cam2,cam3');
    expect(cameraRange(['cam1', 'cam2'])).toBe('cam1,cam2');
    expect(cameraRange(['front'])).toBe('front');
  });

  it('reads git status --porcelain -z, renames included', () => {
    expect(parsePorcelainZ(' M config.yml\0R  src/new.py\0src/old.py\0M  docs/a b.md\0')).toEqual([
      'config.yml',
      'src/new.py',
      'docs/a b.md',
    ]);
    expect(parsePorcelainZ('')).toEqual([]);
  });

  it('finds the encoders and their settings in a gst-launch argv', () => {
    const argv = [
      'videotestsrc',
      '!',
      'tee',
      'name=t',
      't.',
      '!',
      'mpph264enc',
      'bps=8000000',
      'bps-max=16000000',
    ];
    expect(
      encodersIn([...argv, '!', 'fakesink', 't.', '!', 'x264enc', 'bitrate=2000', '!', 'fakesink']),
    ).toEqual([
      { element: 'mpph264enc', properties: { bps: '8000000', 'bps-max': '16000000' } },
      { element: 'x264enc', properties: { bitrate: '2000' } },
    ]);
  });
});
