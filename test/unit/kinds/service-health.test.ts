import { describe, expect, it } from 'vitest';
import type { HealthSample } from '../../../src-main/contract/index.js';
import {
  loadAnyProfile,
  type TranscoderProfile,
  type VmsProfile,
} from '../../../src-main/core/device/profile.js';
import { FakeAlarms } from './fake-alarms.js';
import { HealthAlarms } from '../../../src-main/core/health/health-alarms.js';
import { healthCommand, healthSampleFrom } from '../../../src-main/core/health/health-read.js';
import { serviceReadCommand, serviceStateFrom } from '../../../src-main/core/service/service-read.js';

const transcoder = loadAnyProfile('transcoder') as TranscoderProfile;
const vms = loadAnyProfile('vms') as VmsProfile;

function sections(parts: Record<string, [string, number]>): string {
  return Object.entries(parts)
    .map(([name, [text, rc]]) => `@@tally-section ${name}\n${text}\n@@tally-rc ${rc}\n`)
    .join('');
}

const inspect = (state: Record<string, unknown>, restarts = 0) =>
  JSON.stringify([
    {
      Id: 'c1',
      Name: '/xg2g-transcoder',
      Image: 'sha256:aaa',
      RestartCount: restarts,
      State: {
        Status: 'running',
        Running: true,
        Restarting: false,
        Pid: 77,
        ExitCode: 0,
        StartedAt: '2026-12-06T15:00:00Z',
        FinishedAt: '0001-01-01T00:00:00Z',
        ...state,
      },
      Config: { Image: 'xg2g-gpu-transcoder:production' },
      HostConfig: { RestartPolicy: { Name: 'unless-stopped' } },
    },
  ]);

describe('service state', () => {
  it('reads the container through sudo docker in one command', () => {
    const cmd = serviceReadCommand(transcoder).toString();
    expect(cmd).toContain("sudo -n docker ps -a --filter 'name=^xg2g-transcoder$'");
    expect(cmd).toContain('sudo -n docker inspect xg2g-transcoder');
  });

  it('makes a running container with its restarts, policy and image', () => {
    const s = serviceStateFrom(
      'd1',
      transcoder,
      sections({
        ps: [
          '{"ID":"c1","Image":"x","Names":"xg2g-transcoder","State":"running","Status":"Up 5 minutes"}',
          0,
        ],
        inspect: [inspect({}, 3), 0],
      }),
      1,
    );
    expect(s).toMatchObject({
      manager: 'docker',
      state: 'running',
      detail: 'Up 5 minutes',
      restarts: 3,
      restartPolicy: 'unless-stopped',
      runs: 'xg2g-gpu-transcoder:production',
      runsId: 'sha256:aaa',
      pid: 77,
      since: '2026-12-06T15:00:00.000Z',
      exitCode: null,
    });
  });

  it('tells restarting, exited, missing and an unreachable daemon apart', () => {
    const of = (text: string, rc = 0) =>
      serviceStateFrom('d1', transcoder, sections({ ps: ['', 0], inspect: [text, rc] }));
    expect(of(inspect({ Status: 'restarting', Running: false, Restarting: true, ExitCode: 1 })).state).toBe(
      'restarting',
    );
    expect(
      of(inspect({ Status: 'exited', Running: false, ExitCode: 137, FinishedAt: '2026-12-06T15:01:00Z' })),
    ).toMatchObject({ state: 'exited', exitCode: 137, since: '2026-12-06T15:01:00.000Z' });
    expect(of('[]\nError: No such object: xg2g-transcoder', 1)).toMatchObject({ state: 'missing' });
    expect(of('Cannot connect to the Docker daemon at unix:///var/run/docker.sock.', 1)).toMatchObject({
      state: 'unknown',
      detail: expect.stringMatching(/Docker daemon is not running/),
    });
  });

  it('reads the VMS unit: state, NRestarts, the binary checksum', () => {
    const cmd = serviceReadCommand(vms).toString();
    expect(cmd).toContain('systemctl show -p LoadState,ActiveState,SubState,MainPID,NRestarts');
    expect(cmd).toContain('sha256sum /opt/vms/vms-recorder');
    const sum = 'a'.repeat(64);
    const s = serviceStateFrom(
      'd1',
      vms,
      sections({
        show: [
          'LoadState=loaded\nActiveState=active\nSubState=running\nMainPID=900\nNRestarts=2\nRestart=on-failure\nResult=success\nExecMainStatus=0\nActiveEnterTimestamp=Sun 2026-12-06 15:00:00 UTC',
          0,
        ],
        tz: ['+0000', 0],
        sum: [`${sum}  /opt/vms/vms-recorder`, 0],
      }),
    );
    expect(s).toMatchObject({
      manager: 'systemd',
      name: 'vms-recorder',
      state: 'running',
      detail: 'active (running)',
      restarts: 2,
      restartPolicy: 'on-failure',
      runs: '/opt/vms/vms-recorder',
      runsId: sum,
      pid: 900,
      since: '2026-12-06T15:00:00.000Z',
    });
    const gone = serviceStateFrom(
      'd1',
      vms,
      sections({ show: ['LoadState=not-found\nActiveState=inactive', 0] }),
    );
    expect(gone.state).toBe('missing');
    const failed = serviceStateFrom(
      'd1',
      vms,
      sections({
        show: [
          'LoadState=loaded\nActiveState=failed\nSubState=failed\nResult=exit-code\nExecMainStatus=3',
          0,
        ],
      }),
    );
    expect(failed).toMatchObject({
      state: 'failed',
      exitCode: 3,
      detail: 'failed (failed), result exit-code',
    });
  });
});

const metrics = (restarts: number) =>
  `# TYPE xg2g_active_streams gauge\nxg2g_active_streams 1\n# TYPE xg2g_ffmpeg_restarts_total counter\nxg2g_ffmpeg_restarts_total ${restarts}\nprocess_resident_memory_bytes 1.5e+08\n`;
const curlOut = (body: string, status: number) => `${body}\n@@http ${status}`;

function sampleOf(
  health: string,
  metricsText: string,
  gpu = '/sys/class/drm/card0/device/gpu_busy_percent 45',
  at = 0,
): HealthSample {
  return healthSampleFrom(
    transcoder,
    sections({ health: [health, 0], metrics: [metricsText, 0], gpu: [gpu, 0] }),
    at,
  );
}

describe('transcoder health', () => {
  it('asks /health, /metrics and the GPU file in one command', () => {
    const cmd = healthCommand(transcoder).toString();
    expect(cmd).toContain('http://127.0.0.1:8081/health');
    expect(cmd).toContain('http://127.0.0.1:8081/metrics');
    expect(cmd).toContain('gpu_busy_percent');
  });

  it('reads a healthy box: fields, sessions, restarts, memory and GPU', () => {
    const s = sampleOf(
      curlOut('{"status":"healthy","vaapi_available":true,"active_streams":2,"version":"1.0"}', 200),
      curlOut(metrics(4), 200),
    );
    expect(s).toMatchObject({
      reachable: true,
      httpStatus: 200,
      healthy: true,
      problem: null,
      failing: [],
      sessions: 2,
      ffmpegRestarts: 4,
      memoryBytes: 150_000_000,
      metricsProblem: null,
      gpuBusyPercent: 45,
      gpuProblem: null,
    });
    expect(s.fields).toEqual({ status: 'healthy', vaapi_available: true, active_streams: 2, version: '1.0' });
  });

  it('says why it is not healthy: 503 with the error, VAAPI false, silent, metrics absent', () => {
    const failing = sampleOf(
      curlOut('{"status":"unhealthy","vaapi_available":false,"error":"no VAAPI device"}', 503),
      curlOut('not found', 404),
      '',
    );
    expect(failing).toMatchObject({
      healthy: false,
      failing: ['vaapi_available'],
      problem: 'The health endpoint answers HTTP 503: no VAAPI device.',
      metricsProblem: expect.stringMatching(/HTTP 404/),
      gpuBusyPercent: null,
      gpuProblem: expect.stringMatching(/no GPU busy file/),
    });
    const silent = sampleOf('curl: (7) Failed to connect to 127.0.0.1 port 8081', curlOut(metrics(0), 200));
    expect(silent).toMatchObject({
      reachable: false,
      healthy: null,
      problem: expect.stringMatching(/does not answer/),
    });
    const html = sampleOf(
      curlOut('{"status":"healthy","vaapi_available":true}', 200),
      curlOut('<html>x</html>', 200),
    );
    expect(html.metricsProblem).toMatch(/not Prometheus text/);
  });

  it('raises health failing only after it lasts, and closes it when healthy again', () => {
    const alarms = new FakeAlarms();
    const rules = new HealthAlarms({
      alarms,
      deviceId: 'd1',
      deviceName: () => 'Venue transcoder',
      healthUrl: 'u',
      failForMs: 6000,
    });
    const bad = (at: number) =>
      sampleOf(
        curlOut('{"status":"unhealthy","vaapi_available":true,"error":"x"}', 503),
        curlOut(metrics(0), 200),
        '',
        at,
      );
    rules.check(bad(0));
    rules.check(bad(4000));
    expect(alarms.isOpen('d1', 'health_failing')).toBe(false);
    rules.check(bad(6000));
    const raised = alarms.open.get('health_failing');
    expect(raised).toMatchObject({ severity: 'critical', device: 'Venue transcoder' });
    expect(raised?.detail).toContain('since');
    rules.check(
      sampleOf(
        curlOut('{"status":"healthy","vaapi_available":true}', 200),
        curlOut(metrics(0), 200),
        '',
        8000,
      ),
    );
    expect(alarms.resolved).toContain('health_failing');
  });

  it('raises VAAPI unavailable at once and FFmpeg restarts when the counter rises', () => {
    const alarms = new FakeAlarms();
    const rules = new HealthAlarms({
      alarms,
      deviceId: 'd1',
      deviceName: () => 'T1',
      healthUrl: 'u',
      restartsQuietMs: 10_000,
    });
    const ok = (restarts: number, at: number, vaapi = true) =>
      sampleOf(
        curlOut(`{"status":"healthy","vaapi_available":${vaapi}}`, 200),
        curlOut(metrics(restarts), 200),
        '',
        at,
      );
    rules.check(ok(5, 0));
    expect(alarms.raised).toHaveLength(0);
    rules.check(ok(5, 2000, false));
    expect(alarms.open.get('vaapi_unavailable')).toMatchObject({ severity: 'critical' });
    rules.check(ok(6, 4000));
    expect(alarms.resolved).toContain('vaapi_unavailable');
    expect(alarms.open.get('service_restarts')).toMatchObject({
      severity: 'warning',
      title: 'FFmpeg restarted',
    });
    rules.check(ok(6, 8000));
    expect(alarms.isOpen('d1', 'service_restarts')).toBe(true);
    rules.check(ok(6, 14_000));
    expect(alarms.resolved).toContain('service_restarts');
  });
});
