/**
 * The ConfigApplier's failure paths against a scripted device: what the device is left with, what the operation
 * says, and what evidence it carries, when a step in the middle fails.
 */
import { describe, expect, it } from 'vitest';
import type {
  Alarm,
  CameraView,
  DeviceStatus,
  JournalEntry,
  Operation,
  RecorderControlResult,
  RecorderState,
} from '../../../src-main/contract/index.js';
import { loadProfile } from '../../../src-main/core/device/profile.js';
import { Lease } from '../../../src-main/core/device/lease.js';
import type { ShellCommand } from '../../../src-main/core/device/quote.js';
import { encodersIn } from '../../../src-main/core/pipelines/adhoc-jobs.js';
import type { CameraReader } from '../../../src-main/core/recorder/cameras.js';
import {
  ConfigApplier,
  cameraRange,
  type AuditInput,
} from '../../../src-main/core/recorder/config-applier.js';
import { parsePorcelainZ } from '../../../src-main/core/device/repo.js';
import type { RecorderService } from '../../../src-main/core/recorder/recorder-service.js';
import type { ConnectionManager } from '../../../src-main/core/ssh/connection-manager.js';
import type { ExecOptions, ExecResult } from '../../../src-main/core/ssh/types.js';
import { cameraSpecs, configYml } from '../../../src-main/emulator/device/repo/config-yml.js';

const HEAD = 'a'.repeat(40);
const NEW = 'b'.repeat(40);
const BLOB = 'c'.repeat(40);
const DEVICE = 'dev1';

/** A device that answers the applier's git and file commands; each part can be told to fail. */
class ScriptedDevice {
  text = configYml('h264-hw', cameraSpecs(4));
  dirty = '';
  commitFails = false;
  link: DeviceStatus['state'] = 'connected';
  commands: string[] = [];

  exec = async (_id: string, cmd: ShellCommand, opts: ExecOptions = {}): Promise<ExecResult> => {
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
    if (text.includes('mktemp')) {
      this.text = String(opts.stdin ?? '');
      return reply(0);
    }
    if (text.includes(' commit -q -F -'))
      return this.commitFails
        ? reply(1, '', 'fatal: Unable to create index.lock: File exists.')
        : reply(0, `${NEW}\n`);
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

function camera(name: string, online: boolean): CameraView {
  return {
    name,
    signal: online ? 'streaming' : 'error',
    detail: online ? 'streaming (640x360)' : 'error (pipeline exited 1)',
    resolution: null,
    codec: null,
    bitrateKbps: null,
    readers: null,
    online,
  };
}

interface Setup {
  device: ScriptedDevice;
  applier: ConfigApplier;
  audits: AuditInput[];
  restarts: number;
}

/** A lease that is always free: the device-side lease has its own integration test. */
function heldLease(deviceId: string): Lease {
  const view = {
    deviceId,
    id: 'lease-test',
    kind: 'config.apply',
    what: 'test',
    who: 'test',
    host: 'test',
    mine: true,
    since: '',
    follow: '',
  };
  return new Lease(deviceId, view, async () => undefined);
}

function setup(
  opts: {
    control?: () => RecorderControlResult;
    cameras?: () => CameraView[];
    alarms?: () => Alarm[];
    recordings?: RecorderState['recordings'];
    journal?: JournalEntry[];
    onOperation?: (op: Operation, audits: AuditInput[]) => void;
    auditDelayMs?: number;
  } = {},
): Setup {
  const device = new ScriptedDevice();
  const audits: AuditInput[] = [];
  const s: Setup = { device, applier: undefined as unknown as ConfigApplier, audits, restarts: 0 };
  const recorder = {
    status: async () => recorderState(opts.recordings),
    control: async (): Promise<RecorderControlResult> => {
      s.restarts++;
      return opts.control?.() ?? { kind: 'done', state: recorderState() };
    },
    journal: () => opts.journal ?? [],
  } as unknown as RecorderService;
  const cameras = {
    list: async () => opts.cameras?.() ?? ['cam0', 'cam1', 'cam2', 'cam3'].map((n) => camera(n, true)),
  } as unknown as CameraReader;
  s.applier = new ConfigApplier({
    connections: { exec: device.exec, status: device.status } as unknown as ConnectionManager,
    profileOf: () => loadProfile('r58'),
    deviceName: () => 'r58-test',
    recorder,
    cameras,
    liveSessions: () => 4,
    kernelAlarmsSince: () => opts.alarms?.() ?? [],
    audit: async (entry) => {
      // A real audit write takes a while (an append to a file).
      if (opts.auditDelayMs) await new Promise((r) => setTimeout(r, opts.auditDelayMs));
      audits.push(entry);
    },
    onOperation: (op) => opts.onOperation?.(op, audits),
    leases: { acquire: async (deviceId) => heldLease(deviceId) },
    watchMs: 300,
    camerasTimeoutMs: 1_200,
  });
  return s;
}

async function ended(applier: ConfigApplier, op: Operation): Promise<Operation> {
  for (let i = 0; i < 200; i++) {
    const now = applier.list(DEVICE).find((o) => o.id === op.id);
    if (now && now.state !== 'running') return now;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the operation did not end');
}

const CHANGE = { deviceId: DEVICE, cameras: 'all' as const, preset: 'h264-hw' as const, bitrateKbps: 6000 };

describe('ConfigApplier against a scripted device', () => {
  it('succeeds with every step done and the previous commit kept', async () => {
    const { applier, device, audits } = setup();
    const op = await ended(applier, await applier.apply(CHANGE));
    expect(op.state).toBe('succeeded');
    expect(op.steps.map((s) => s.state)).toEqual(['done', 'done', 'done', 'done', 'done', 'done']);
    expect(op).toMatchObject({ commit: NEW, previousCommit: HEAD });
    expect(device.text).toMatch(/bps: 6000000/);
    expect(audits.map((a) => `${a.action} ${a.result}`)).toEqual(['config.apply started', 'config.apply ok']);
  });

  it('has written the outcome to the audit log when it announces the end (the CLI exits on that)', async () => {
    const atEnd: string[][] = [];
    const { applier } = setup({
      auditDelayMs: 50,
      onOperation: (op, audits) => {
        if (op.state !== 'running') atEnd.push(audits.map((a) => `${a.action} ${a.result}`));
      },
    });
    await ended(applier, await applier.apply(CHANGE));
    await new Promise((r) => setTimeout(r, 100));
    expect(atEnd).toEqual([['config.apply started', 'config.apply ok']]);
  });

  it('puts config.yml back when the commit fails, and never restarts', async () => {
    const s = setup();
    const before = s.device.text;
    s.device.commitFails = true;
    const op = await ended(s.applier, await s.applier.apply(CHANGE));
    expect(op.state).toBe('failed');
    expect(op.steps.map((x) => x.state)).toEqual(['done', 'done', 'failed', 'skipped', 'skipped', 'skipped']);
    expect(op.steps[2]?.detail).toMatch(
      /index\.lock.*config\.yml was put back as it was; the device is unchanged/,
    );
    expect(s.device.text).toBe(before);
    expect(s.restarts).toBe(0);
    expect(s.audits.at(-1)).toMatchObject({ action: 'config.apply', result: 'error' });
  });

  it('says the change is committed but not running when a recording started before the restart', async () => {
    const recordings = [{ camera: 'cam1', file: '/var/recordings/cam1_20251222_101500.mp4' }];
    const { applier } = setup({
      control: () => ({
        kind: 'confirm',
        message: 'Restarting preke-recorder ends a recording.',
        recordings,
      }),
    });
    const op = await ended(applier, await applier.apply(CHANGE));
    expect(op.state).toBe('failed');
    expect(op.steps[3]?.state).toBe('failed');
    expect(op.steps[3]?.detail).toMatch(
      /committed as bbbbbbb but the recorder still runs the previous config\. Restart it when the recordings end, or revert/,
    );
    expect(op.evidence).toEqual(['Recording: cam1 → /var/recordings/cam1_20251222_101500.mp4']);
    expect(op.previousCommit).toBe(HEAD);
  });

  it('fails on cameras that do not come back, with their states and the journal as evidence', async () => {
    const { applier } = setup({
      cameras: () => [
        camera('cam0', true),
        camera('cam1', false),
        camera('cam2', true),
        camera('cam3', false),
      ],
      journal: [{ at: Date.now() + 100, priority: 3, message: 'cam1: pipeline exited with 1' }],
    });
    const op = await ended(applier, await applier.apply(CHANGE));
    expect(op.state).toBe('failed');
    expect(op.steps[4]).toMatchObject({ state: 'failed', detail: 'Not online after 1 s: cam1, cam3.' });
    expect(op.steps[5]?.state).toBe('skipped');
    expect(op.evidence).toContain(
      'cam1: offline at the media server, recorder says error (pipeline exited 1)',
    );
    expect(op.evidence.some((l) => l.endsWith('cam1: pipeline exited with 1'))).toBe(true);
  });

  it('fails the watch when the link drops, since the kernel can no longer be seen', async () => {
    const s = setup();
    const op = await s.applier.apply(CHANGE);
    s.device.link = 'connecting';
    const done = await ended(s.applier, op);
    expect(done.state).toBe('failed');
    expect(done.steps[5]?.detail).toMatch(/dropped during the watch .*A kernel panic reboots the box/);
  });

  it('blocks a change while recordings run, and names them', async () => {
    const { applier } = setup({ recordings: [{ camera: 'cam2', file: '/var/recordings/cam2.mp4' }] });
    const preview = await applier.preview(CHANGE);
    expect(preview.blocked).toMatch(/Recording now on cam2: applying restarts the recorder/);
    await expect(applier.apply(CHANGE)).rejects.toMatchObject({ code: 'refused' });
  });

  it('blocks a change that changes nothing', async () => {
    const { applier } = setup();
    const preview = await applier.preview({ ...CHANGE, bitrateKbps: 8000 });
    expect(preview.diff).toBe('');
    expect(preview.blocked).toMatch(/already has this setting for cam0-cam3; nothing to apply/);
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
