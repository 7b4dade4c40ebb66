/**
 * The Service tab in words: the container/unit card and what is asked before stopping it, a transcoder's health
 * and figures, a VMS host's cameras as seed 004's table, and the log's colours.
 */
import { describe, expect, it } from 'vitest';
import type { ServiceState } from '../../../src-main/contract/index.js';
import { logTone } from '../../../src-renderer/service/log-view.js';
import {
  actionEnabled,
  serviceFacts,
  sinceText,
  stopQuestion,
} from '../../../src-renderer/service/service-view.js';
import {
  healthWords,
  memoryFigure,
  metricRows,
  restartsFigure,
} from '../../../src-renderer/service/transcoder-view.js';
import {
  cameraCpuHistory,
  cameraRow,
  formatBytes,
  segmentLine,
  vmsTotals,
} from '../../../src-renderer/service/vms-view.js';
import { NOW } from './fleet-view-fixtures.js';
import { camera, healthSample, vmsState } from './kinds-fixtures.js';

function container(over: Partial<ServiceState> = {}): ServiceState {
  return {
    deviceId: 'd1',
    manager: 'docker',
    name: 'xg2g-transcoder',
    state: 'running',
    detail: 'Up 2 hours',
    since: new Date(NOW - 185_000).toISOString(),
    restarts: 3,
    restartPolicy: 'unless-stopped',
    runs: 'xg2g-gpu-transcoder:production',
    runsId: 'sha256:0123456789abcdef0123',
    pid: 4242,
    exitCode: 0,
    at: NOW,
    ...over,
  };
}

describe('the service card', () => {
  it('names the container, its restarts, policy and image', () => {
    const facts = Object.fromEntries(serviceFacts(container()).map((f) => [f.term, f.value]));
    expect(facts).toMatchObject({
      'Docker says': 'Up 2 hours',
      Restarts: '3',
      'Restart policy': 'unless-stopped',
      Image: 'xg2g-gpu-transcoder:production',
      'Image id': '0123456789ab',
      PID: '4242',
    });
    expect(facts['Exit code']).toBeUndefined();
    const unit = serviceFacts(
      container({ manager: 'systemd', name: 'vms-recorder', runs: '/opt/vms/vms-recorder', runsId: null }),
    );
    expect(unit.map((f) => f.term)).toContain('Binary');
    expect(sinceText(container().since, NOW)).toBe('for 3 min 05 s');
  });

  it('offers Start when stopped, Stop and Restart when running, nothing when not installed', () => {
    expect(actionEnabled('start', 'exited')).toBe(true);
    expect(actionEnabled('stop', 'exited')).toBe(false);
    expect(actionEnabled('start', 'running')).toBe(false);
    expect(actionEnabled('stop', 'restarting')).toBe(true);
    expect(actionEnabled('restart', 'running')).toBe(true);
    for (const a of ['start', 'stop', 'restart'] as const) expect(actionEnabled(a, 'missing')).toBe(false);
  });

  it('names what stops before stopping a transcoder: the transcodes it serves', () => {
    const q = stopQuestion('stop', 'transcoder', 'xg2g-1', container(), { sessions: 2 });
    expect(q.title).toBe('Stop the container xg2g-transcoder on xg2g-1?');
    expect(q.confirmLabel).toBe('Stop xg2g-transcoder');
    expect(q.stops).toEqual(['2 transcodes running now: their viewers lose the stream.']);
    expect(q.note).toMatch(/until someone starts it again/);
  });

  it("names every camera before restarting a VMS host's recorder", () => {
    const unit = container({ manager: 'systemd', name: 'vms-recorder' });
    const q = stopQuestion('restart', 'vms', 'vms-1', unit, { vms: vmsState() });
    expect(q.title).toBe('Restart the unit vms-recorder on vms-1?');
    expect(q.stops).toHaveLength(2);
    expect(q.stops[0]).toMatch(/^Duc_Tai_Dendo_1: its recording ends/);
    expect(q.note).toMatch(/starts again at once/);
  });
});

describe("a transcoder's health", () => {
  it('says healthy, or failing with the HTTP status and the field that is not true', () => {
    expect(healthWords(healthSample())).toMatchObject({ word: 'Healthy', tone: 'ok' });
    const failing = healthWords(
      healthSample({
        httpStatus: 503,
        healthy: false,
        fields: { status: 'unhealthy', vaapi_available: false },
        failing: ['vaapi_available'],
        problem: 'VAAPI device not found',
      }),
    );
    expect(failing).toMatchObject({ word: 'Failing', tone: 'bad', failing: ['vaapi_available'] });
    expect(failing.detail).toBe('HTTP 503 · vaapi_available false · VAAPI device not found');
    expect(healthWords(healthSample({ reachable: false, httpStatus: null, healthy: null })).word).toBe(
      'Not answering',
    );
    expect(healthWords(undefined).word).toBe('Not read yet');
  });

  it("warns when FFmpeg restarted while watched, and measures memory against seed 003's target", () => {
    const samples = [healthSample({ ffmpegRestarts: 1 }), healthSample({ ffmpegRestarts: 3 })];
    expect(restartsFigure(samples)).toMatchObject({ value: '3', tone: 'warn', note: 'up 2 while watched' });
    expect(restartsFigure([healthSample()]).tone).toBe('ok');
    expect(memoryFigure(healthSample()).value).toBe('150.0 MB');
    expect(memoryFigure(healthSample()).tone).toBe('ok');
    expect(memoryFigure(healthSample({ memoryBytes: 600_000_000 })).tone).toBe('warn');
  });

  it('lists the metrics with their labels, special values as Prometheus writes them', () => {
    const rows = metricRows([
      { name: 'xg2g_active_streams', labels: {}, value: 2 },
      { name: 'http_requests', labels: { code: '200', path: '/health' }, value: 1.5 },
      { name: 'latency_bucket', labels: { le: '+Inf' }, value: null, special: '+Inf' },
      { name: 'process_resident_memory_bytes', labels: {}, value: 1.5e8 },
    ]);
    expect(rows.map((r) => [r.name, r.labels, r.value])).toEqual([
      ['xg2g_active_streams', '', '2'],
      ['http_requests', 'code="200", path="/health"', '1.5'],
      ['latency_bucket', 'le="+Inf"', '+Inf'],
      ['process_resident_memory_bytes', '', '150000000'],
    ]);
  });
});

describe("a VMS host's cameras", () => {
  it('read as seed 004 table rows: processes, CPU of one core, newest segment and schedule, live output', () => {
    const row = cameraRow(
      camera('Duc_Tai_Dendo_1', {
        pids: [101613],
        newest: {
          name: 'Duc_Tai_Dendo_1_20251020_075459.mp4',
          sizeBytes: 9_000_000,
          modifiedAt: '2025-10-20T07:55:41Z',
          durationS: null,
          codec: null,
        },
        newestAgeS: 42,
        recent: [
          {
            name: 'Duc_Tai_Dendo_1_20251020_075159.mp4',
            sizeBytes: 18_400_000,
            modifiedAt: '2025-10-20T07:54:59Z',
            durationS: 180,
            codec: 'hevc',
          },
        ],
      }),
      35,
    );
    expect(row).toMatchObject({
      stateText: 'Recording',
      stateTone: 'ok',
      processes: '1 (pid 101613)',
      cpu: { text: '23.4 %', tone: 'ok' },
      newest: { text: '42 s ago · every 3 min', tone: 'ok' },
      live: { text: 'Up · h264 1920×1080', tone: 'ok', up: true },
    });
    expect(row.recent).toEqual([
      { name: 'Duc_Tai_Dendo_1_20251020_075159.mp4', text: '18.4 MB · 3:00 · hevc' },
    ]);
  });

  it('show a late segment, a dead camera, a camera over budget and an output down', () => {
    const late = cameraRow(
      camera('c', {
        late: true,
        newestAgeS: 215,
        newest: { name: 'c.mp4', sizeBytes: 1, modifiedAt: '', durationS: null, codec: null },
      }),
      35,
    );
    expect(late).toMatchObject({ stateText: 'Late', stateTone: 'warn', newest: { tone: 'bad', late: true } });
    expect(late.newest?.text).toBe('3 min 35 s ago · every 3 min · late');
    const down = cameraRow(camera('d', { state: 'down', pids: [], cpuPercent: null }), 35);
    expect(down).toMatchObject({
      stateText: 'Down',
      stateTone: 'bad',
      processes: 'none',
      cpu: { text: '—' },
    });
    expect(cameraRow(camera('e', { cpuPercent: 41.2 }), 35).cpu.tone).toBe('warn');
    const off = cameraRow(
      camera('f', { live: { ...camera('f').live, state: 'down', detail: 'connection refused' } }),
      35,
    );
    expect(off.live).toMatchObject({ text: 'Down', tone: 'bad', up: false });
    expect(off.live.label).toMatch(/does not answer: connection refused/);
    expect(cameraRow(camera('g', { pids: [1, 2] }), 35).processes).toBe('2 (pids 1, 2)');
  });

  it("total the cameras' CPU against the budget for all of them", () => {
    expect(vmsTotals(vmsState())).toMatchObject({
      cameras: 2,
      recording: 2,
      budgetPercent: 70,
      cpuText: '46.7 % of one core',
      tone: 'ok',
    });
    expect(vmsTotals(vmsState({ totalCpuPercent: 80 })).tone).toBe('warn');
    expect(vmsTotals(vmsState({ totalCpuPercent: 80 })).fill).toBe(1);
  });

  it("keep each camera's CPU over time, capped", () => {
    let h = new Map();
    for (let i = 0; i < 5; i++)
      h = cameraCpuHistory(
        h,
        vmsState({ at: NOW + i * 2000, cameras: [camera('a', { cpuPercent: 20 + i })] }),
        3,
      );
    expect(h.get('a')?.map((p: { value: number | null }) => p.value)).toEqual([22, 23, 24]);
  });

  it('size segments as people read them', () => {
    expect(formatBytes(18_400_000)).toBe('18.4 MB');
    expect(formatBytes(512_000)).toBe('512 kB');
    expect(
      segmentLine({ name: 'x.mp4', sizeBytes: 900, modifiedAt: '', durationS: null, codec: null }).text,
    ).toBe('900 B · duration unknown · codec unknown');
  });
});

describe('the service log', () => {
  it("marks seed 004's harmless warnings as noise, not errors", () => {
    expect(logTone('[rtsp @ 0x55] Missing PPS in sprop-parameter-sets, ignoring')).toBe('noise');
    expect(logTone('More than 1000 frames duplicated')).toBe('noise');
    expect(logTone('cuvidCreateDecoder failed: CUDA_ERROR_INVALID_VALUE')).toBe('noise');
    expect(logTone('Error opening input: Connection refused')).toBe('error');
    expect(logTone('Warning: stream restarting')).toBe('warn');
    expect(logTone('frame= 1200 fps= 25 q=28.0 size=   18432kB')).toBe('plain');
  });
});
