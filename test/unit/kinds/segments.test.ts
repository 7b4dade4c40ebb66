import { describe, expect, it } from 'vitest';
import { loadAnyProfile, type VmsProfile } from '../../../src-main/core/device/profile.js';
import { SegmentsAlarms } from '../../../src-main/core/segments/segments-alarms.js';
import {
  cameraOfArgv,
  segmentOfName,
  segmentsCommand,
  vmsReadingFrom,
} from '../../../src-main/core/segments/segments-read.js';
import { VmsTracker } from '../../../src-main/core/segments/vms-tracker.js';
import { FakeAlarms } from './fake-alarms.js';

const vms = loadAnyProfile('vms') as VmsProfile;
const PREFIX = 'rtsp://127.0.0.1:8554/live/';

const argvOf = (camera: string, segment = 4) => [
  'ffmpeg',
  '-i',
  `rtsp://10.0.0.9:556/Streaming/Channels/102`,
  '-c:v',
  'libx265',
  '-f',
  'segment',
  '-segment_time',
  String(segment),
  '-strftime',
  '1',
  `/var/vms/recordings/${camera}_%Y%m%d_%H%M%S.mp4`,
  '-c:v',
  'libx264',
  '-f',
  'rtsp',
  `${PREFIX}${camera}`,
];

function proc(pid: number, argv: string[], state = 'S', utime = 100, stime = 20): string {
  const fields = [state, '1', pid, pid, 0, -1, 4194560, 100, 0, 0, 0, utime, stime, 0, 0, 20, 0, 1];
  return `@@pid ${pid}\n${pid} (ffmpeg) ${fields.join(' ')}\n@@argv ${argv.join('\u001f')}\u001f\n`;
}

function output(opts: {
  procs: string;
  uptime: number;
  now: number;
  files: [number, number, string][];
  nvidia?: string;
}): string {
  const part = (name: string, text: string, rc = 0) => `@@tally-section ${name}\n${text}\n@@tally-rc ${rc}\n`;
  return (
    part('procs', opts.procs) +
    part('clock', `${opts.uptime} 1000.0\n100\n${opts.now}\n+0000`) +
    part('ls', opts.files.map(([m, s, n]) => `${m}\t${s}\t${n}`).join('\n')) +
    part('nvidia', opts.nvidia ?? '@@no-nvidia-smi')
  );
}

// 2026-12-06 15:00:00 UTC
const T0 = Date.UTC(2026, 11, 6, 15, 0, 0) / 1000;

describe('VMS readings', () => {
  it('finds the camera, segment length and live output from a process’s arguments', () => {
    expect(cameraOfArgv(argvOf('Duc_Tai_Dendo_1', 180), PREFIX)).toEqual({
      camera: 'Duc_Tai_Dendo_1',
      segmentS: 180,
      liveUrl: `${PREFIX}Duc_Tai_Dendo_1`,
      pattern: '/var/vms/recordings/Duc_Tai_Dendo_1_%Y%m%d_%H%M%S.mp4',
    });
    // Phase 1 shape: a live-only process names its camera by its output.
    expect(
      cameraOfArgv(['ffmpeg', '-i', 'rtsp://cam/1', '-f', 'rtsp', `${PREFIX}Cam_2`], PREFIX).camera,
    ).toBe('Cam_2');
    expect(cameraOfArgv(['ffmpeg', '-version'], PREFIX).camera).toBeNull();
  });

  it('reads a segment’s start from its name in the box’s zone', () => {
    expect(segmentOfName('Duc_Tai_Dendo_1_20261206_160000.mp4', '+0100')).toEqual({
      camera: 'Duc_Tai_Dendo_1',
      startS: T0,
    });
    expect(segmentOfName('notes.txt', '+0000')).toBeNull();
  });

  it('lists only the profile’s process name and the recordings folder, newest first', () => {
    const cmd = segmentsCommand(vms).toString();
    expect(cmd).toContain('want=ffmpeg');
    expect(cmd).toContain('/var/vms/recordings');
    expect(cmd).toContain('sort -rn');
    expect(cmd).toContain('nvidia-smi');
  });

  it('gives per-camera CPU in percent of one core, segments, ages and NVENC figures', () => {
    const tracker = new VmsTracker('d1', vms, 2);
    const files: [number, number, string][] = [
      [T0 + 3.9, 900_000, 'Cam_A_20261206_150004.mp4'],
      [T0 + 3.9, 1_000_000, 'Cam_A_20261206_150000.mp4'],
    ];
    const first = tracker.update(
      vmsReadingFrom(vms, output({ procs: proc(11, argvOf('Cam_A')), uptime: 500, now: T0 + 5, files })),
      1000,
    );
    expect(first.cameras).toHaveLength(1);
    expect(first.cameras[0]).toMatchObject({
      camera: 'Cam_A',
      pids: [11],
      cpuPercent: null,
      state: 'running',
      segmentS: 4,
    });
    // 23 ticks over 1 s at 100 ticks/s: 23 % of one core (seed 004's unit).
    const second = tracker.update(
      vmsReadingFrom(
        vms,
        output({
          procs: proc(11, argvOf('Cam_A'), 'R', 115, 28),
          uptime: 501,
          now: T0 + 5,
          files,
          nvidia:
            'utilization.gpu [%], utilization.encoder [%], encoder.stats.sessionCount, encoder.stats.averageFps\n30, 12, 2, 15',
        }),
      ),
      2000,
    );
    const cam = second.cameras[0];
    expect(cam?.cpuPercent).toBe(23);
    expect(second.totalCpuPercent).toBe(23);
    expect(cam?.newest?.name).toBe('Cam_A_20261206_150004.mp4');
    expect(cam?.newestAgeS).toBe(1);
    expect(cam?.late).toBe(false);
    expect(cam?.recent.map((s) => s.name)).toEqual(['Cam_A_20261206_150000.mp4']);
    expect(cam?.live.state).toBe('unknown');
    expect(second.nvidia).toMatchObject({
      present: true,
      gpuPercent: 30,
      encoderPercent: 12,
      sessions: 2,
      averageFps: 15,
    });
    expect(tracker.unprobed(second, 4)).toEqual(['Cam_A_20261206_150000.mp4']);
  });

  it('calls a stopped process stalled and a missing one down, and a camera late past its segment and grace', () => {
    const tracker = new VmsTracker('d1', vms, 2);
    const files: [number, number, string][] = [[T0 + 1, 1, 'Cam_A_20261206_150000.mp4']];
    tracker.update(
      vmsReadingFrom(vms, output({ procs: proc(11, argvOf('Cam_A')), uptime: 1, now: T0 + 1, files })),
      0,
    );
    const stalled = tracker.update(
      vmsReadingFrom(vms, output({ procs: proc(11, argvOf('Cam_A'), 'T'), uptime: 8, now: T0 + 8, files })),
      7000,
    );
    expect(stalled.cameras[0]).toMatchObject({ state: 'stalled', late: true, newestAgeS: 8 });
    const down = tracker.update(
      vmsReadingFrom(vms, output({ procs: '', uptime: 9, now: T0 + 9, files })),
      8000,
    );
    expect(down.cameras[0]).toMatchObject({ camera: 'Cam_A', state: 'down', pids: [] });
  });
});

describe('VMS alarms', () => {
  function stateWith(
    cameras: Partial<import('../../../src-main/contract/index.js').CameraState>[],
    at: number,
  ) {
    return {
      deviceId: 'd1',
      at,
      totalCpuPercent: null,
      budgetPerCameraPercent: 35,
      nvidia: {
        present: false,
        gpuPercent: null,
        encoderPercent: null,
        sessions: null,
        sessionLimit: null,
        averageFps: null,
        problem: null,
      },
      problem: null,
      cameras: cameras.map((c) => ({
        camera: 'Cam_A',
        pids: [11],
        cpuPercent: 20,
        state: 'running' as const,
        segmentS: 4,
        newest: null,
        newestAgeS: 1,
        late: false,
        recent: [],
        live: {
          url: `${PREFIX}Cam_A`,
          state: 'up' as const,
          codec: 'h264',
          width: 320,
          height: 180,
          detail: 'h264',
          checkedAt: 1,
        },
        ...c,
      })),
    };
  }

  it('raises a camera down after a few seconds and closes it when back', () => {
    const alarms = new FakeAlarms();
    const rules = new SegmentsAlarms({ alarms, deviceId: 'd1', deviceName: () => 'VMS 1', downForMs: 5000 });
    rules.check(stateWith([{ state: 'down', pids: [] }], 0), new Map());
    expect(alarms.isOpen('d1', 'camera_down')).toBe(false);
    rules.check(stateWith([{ state: 'down', pids: [] }], 5000), new Map());
    expect(alarms.open.get('camera_down')).toMatchObject({
      severity: 'critical',
      title: 'Camera Cam_A down',
    });
    rules.check(stateWith([{}], 7000), new Map());
    expect(alarms.resolved).toContain('camera_down');
  });

  it('raises a late segment at once, naming the camera, and closes it on schedule again', () => {
    const alarms = new FakeAlarms();
    const rules = new SegmentsAlarms({ alarms, deviceId: 'd1', deviceName: () => 'VMS 1' });
    rules.check(stateWith([{ late: true, state: 'stalled', newestAgeS: 40 }], 0), new Map());
    const raised = alarms.open.get('segment_late');
    expect(raised).toMatchObject({ severity: 'critical', device: 'VMS 1' });
    expect(raised?.detail).toContain('Cam_A');
    rules.check(stateWith([{}], 3000), new Map());
    expect(alarms.resolved).toContain('segment_late');
  });

  it('raises an output down on the second check in a row only, and not for a camera that is down', () => {
    const alarms = new FakeAlarms();
    const rules = new SegmentsAlarms({ alarms, deviceId: 'd1', deviceName: () => 'VMS 1' });
    const down = (checkedAt: number, pids = [11]) => ({
      pids,
      live: {
        url: `${PREFIX}Cam_A`,
        state: 'down' as const,
        codec: null,
        width: null,
        height: null,
        detail: 'refused',
        checkedAt,
      },
    });
    rules.check(stateWith([down(1)], 0), new Map());
    rules.check(stateWith([down(1)], 3000), new Map());
    expect(alarms.isOpen('d1', 'output_down')).toBe(false);
    rules.check(stateWith([down(2)], 6000), new Map());
    expect(alarms.open.get('output_down')).toMatchObject({ severity: 'warning' });
    rules.check(stateWith([{}], 9000), new Map());
    expect(alarms.resolved).toContain('output_down');
    rules.check(stateWith([down(3, []), { camera: 'Cam_B' }], 10_000), new Map());
    rules.check(stateWith([down(4, []), { camera: 'Cam_B' }], 11_000), new Map());
    expect(alarms.isOpen('d1', 'output_down')).toBe(false);
  });

  it('raises CPU over budget only when it holds over the window', () => {
    const alarms = new FakeAlarms();
    const rules = new SegmentsAlarms({
      alarms,
      deviceId: 'd1',
      deviceName: () => 'VMS 1',
      cpuWindowMs: 10_000,
    });
    const hist = new Map<string, [number, number][]>([['Cam_A', [[0, 50]]]]);
    rules.check(stateWith([{ cpuPercent: 50 }], 0), hist);
    expect(alarms.isOpen('d1', 'cpu_over_budget')).toBe(false);
    hist.set('Cam_A', [
      [0, 50],
      [5000, 48],
      [10_000, 52],
    ]);
    rules.check(stateWith([{ cpuPercent: 52 }], 10_000), hist);
    expect(alarms.open.get('cpu_over_budget')?.detail).toMatch(/Cam_A uses 50\.0 %/);
    hist.set('Cam_A', [[12_000, 20]]);
    rules.check(stateWith([{ cpuPercent: 20 }], 12_000), hist);
    expect(alarms.resolved).toContain('cpu_over_budget');
  });
});
