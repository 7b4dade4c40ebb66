import { describe, expect, it } from 'vitest';
import {
  controlCommand,
  logsCommand,
  parseInspect,
  parseLogLine,
  parsePsLines,
  psCommand,
} from '../../../src-main/core/device/docker.js';
import {
  ffprobeRtspCommand,
  parseFfprobe,
  parseFfprobeFiles,
} from '../../../src-main/core/device/ffprobe.js';
import { gpuBusyCommand, parseGpuBusy, parseNvidiaSmi } from '../../../src-main/core/device/gpu.js';
import { metricTotal, metricValue, parseMetrics } from '../../../src-main/core/device/prometheus.js';
import { parseShow, systemdTime } from '../../../src-main/core/device/systemd.js';

const inspectJson = (over: Record<string, unknown> = {}) =>
  JSON.stringify([
    {
      Id: 'abc123',
      Name: '/xg2g-transcoder',
      Image: 'sha256:feed',
      RestartCount: 2,
      State: {
        Status: 'running',
        Running: true,
        Paused: false,
        Restarting: false,
        OOMKilled: false,
        Dead: false,
        Pid: 4242,
        ExitCode: 0,
        Error: '',
        StartedAt: '2026-12-06T15:00:00.123456789Z',
        FinishedAt: '0001-01-01T00:00:00Z',
      },
      Config: { Image: 'xg2g-gpu-transcoder:production', Tty: true },
      HostConfig: { RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 } },
      ...over,
    },
  ]);

describe('docker', () => {
  it('asks docker through sudo, with the exact name filter and one JSON object per line', () => {
    expect(psCommand('xg2g-transcoder').toString()).toBe(
      "sudo -n docker ps -a --filter 'name=^xg2g-transcoder$' --format '{{json .}}'",
    );
    expect(controlCommand('restart', 'xg2g-transcoder').toString()).toBe(
      'sudo -n docker restart xg2g-transcoder',
    );
    expect(logsCommand('xg2g-transcoder', { since: '2026-12-06T15:00:00Z', follow: true }).toString()).toBe(
      'sudo -n docker logs -t --since 2026-12-06T15:00:00Z -f xg2g-transcoder 2>&1',
    );
    expect(() => psCommand('x; rm -rf /')).toThrow(/Container name/);
    expect(() => logsCommand('c', { since: '1; reboot' })).toThrow(/time/);
  });

  it('reads ps rows and skips what is not one', () => {
    const rows = parsePsLines(
      'WARNING: something\n{"ID":"abc","Image":"xg2g-gpu-transcoder:production","Names":"xg2g-transcoder","State":"running","Status":"Up 2 hours","Ports":""}\n{cut',
    );
    expect(rows).toEqual([
      expect.objectContaining({ Names: 'xg2g-transcoder', State: 'running', Status: 'Up 2 hours' }),
    ]);
  });

  it('reads inspect: restart count, state, policy and image', () => {
    const read = parseInspect(inspectJson(), 0);
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.container.RestartCount).toBe(2);
    expect(read.container.State.Pid).toBe(4242);
    expect(read.container.Config.Image).toBe('xg2g-gpu-transcoder:production');
    expect(read.container.HostConfig?.RestartPolicy.Name).toBe('unless-stopped');
  });

  it('tells a missing container from a missing daemon or a sudo rule', () => {
    expect(parseInspect('[]\nError: No such object: xg2g-transcoder', 1)).toMatchObject({
      ok: false,
      missing: true,
    });
    expect(
      parseInspect(
        'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
        1,
      ),
    ).toMatchObject({ ok: false, missing: false, problem: 'the Docker daemon is not running' });
    expect(parseInspect('sudo: a password is required', 1)).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/passwordless sudo/),
    });
    expect(parseInspect('[{"Id":1}]', 0)).toMatchObject({ ok: false, missing: false });
  });

  it('splits a log line into Docker time and text, dropping a TTY carriage return', () => {
    expect(parseLogLine('2026-12-06T15:00:01.123456789Z frame=  100 fps=25\r')).toEqual({
      at: '2026-12-06T15:00:01.123Z',
      text: 'frame=  100 fps=25',
    });
    expect(parseLogLine('no time here')).toEqual({ at: null, text: 'no time here' });
  });
});

describe('prometheus text', () => {
  const page = [
    '# HELP xg2g_active_streams Transcodes running',
    '# TYPE xg2g_active_streams gauge',
    'xg2g_active_streams 2',
    '# TYPE xg2g_ffmpeg_restarts_total counter',
    'xg2g_ffmpeg_restarts_total{reason="exit"} 3',
    'xg2g_ffmpeg_restarts_total{reason="stall"} 1',
    'up_ratio +Inf',
    'down_ratio -Inf',
    'odd NaN',
    '# TYPE latency histogram',
    'latency_bucket{le="0.1"} 4',
    'latency_bucket{le="+Inf"} 5',
    'latency_sum 0.7',
    'latency_count 5',
    '',
  ].join('\n');

  it('reads values as numbers, with labels, and maps +Inf, -Inf and NaN explicitly', () => {
    const read = parseMetrics(page);
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(metricValue(read.samples, 'xg2g_active_streams')).toBe(2);
    expect(metricValue(read.samples, 'xg2g_ffmpeg_restarts_total', { reason: 'stall' })).toBe(1);
    expect(metricTotal(read.samples, 'xg2g_ffmpeg_restarts_total')).toBe(4);
    expect(read.samples.find((s) => s.name === 'up_ratio')).toEqual({
      name: 'up_ratio',
      labels: {},
      value: null,
      special: '+Inf',
    });
    expect(read.samples.find((s) => s.name === 'down_ratio')?.special).toBe('-Inf');
    expect(read.samples.find((s) => s.name === 'odd')?.special).toBe('NaN');
    expect(read.samples).toContainEqual({ name: 'latency_bucket', labels: { le: '+Inf' }, value: 5 });
    expect(metricValue(read.samples, 'latency_count')).toBe(5);
    expect(metricValue(read.samples, 'absent')).toBeNull();
  });

  it('says a page that is not Prometheus text is not', () => {
    for (const text of [
      '<html><body>Not found</body></html>\n',
      '{"status":"healthy"}\n',
      'metric notanumber\n',
    ]) {
      const read = parseMetrics(text);
      expect(read.ok, text).toBe(false);
      if (!read.ok) expect(read.problem).toMatch(/the \/metrics page is not Prometheus text/);
    }
    expect(parseMetrics('# only a comment\n')).toEqual({ ok: true, samples: [] });
  });
});

describe('GPU readings', () => {
  it('globs the card number in the shell, from a quoted value', () => {
    const cmd = gpuBusyCommand('/sys/class/drm/card*/device/gpu_busy_percent').toString();
    expect(cmd).toContain("g='/sys/class/drm/card*/device/gpu_busy_percent'; for f in $g;");
    expect(() => gpuBusyCommand('/sys/x; reboot')).toThrow(/sysfs/);
  });

  it('takes the busiest card, and says when there is none', () => {
    expect(
      parseGpuBusy(
        '/sys/class/drm/card0/device/gpu_busy_percent 45\n/sys/class/drm/card1/device/gpu_busy_percent 7\n',
      ),
    ).toMatchObject({ percent: 45, problem: null });
    expect(parseGpuBusy('')).toMatchObject({
      percent: null,
      problem: expect.stringMatching(/no GPU busy file/),
    });
    expect(parseGpuBusy('/sys/class/drm/card0/device/gpu_busy_percent \n')).toMatchObject({ percent: null });
  });

  it('reads nvidia-smi by header name, [N/A] as unknown, and no nvidia-smi as not present', () => {
    const text = [
      'encoder.stats.sessionCount, utilization.gpu [%], utilization.encoder [%], encoder.stats.averageFps',
      '4, 37, [N/A], 30',
      '',
    ].join('\n');
    const read = parseNvidiaSmi(text, 0);
    expect(read).toEqual({
      present: true,
      problem: null,
      gpus: [
        {
          'encoder.stats.sessionCount': 4,
          'utilization.gpu': 37,
          'utilization.encoder': null,
          'encoder.stats.averageFps': 30,
        },
      ],
    });
    expect(parseNvidiaSmi('@@no-nvidia-smi\n', 0)).toEqual({ present: false, gpus: [], problem: null });
    expect(
      parseNvidiaSmi('NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.', 9),
    ).toMatchObject({
      present: true,
      problem: expect.stringMatching(/could not communicate/),
    });
  });
});

describe('ffprobe', () => {
  it('reads duration, container and streams from JSON', () => {
    const probe = parseFfprobe(
      JSON.stringify({
        streams: [{ codec_name: 'hevc', codec_type: 'video', width: 320, height: 180 }],
        format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '4.000000', size: '12345' },
      }),
    );
    expect(probe).toEqual({
      durationS: 4,
      formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
      streams: [{ codecType: 'video', codecName: 'hevc', width: 320, height: 180 }],
      problem: null,
    });
  });

  it('keeps ffprobe’s complaint when there is no JSON', () => {
    expect(parseFfprobe('rtsp://127.0.0.1:8554/live/cam: Connection refused\n').problem).toMatch(
      /Connection refused/,
    );
    expect(parseFfprobe('')).toMatchObject({ streams: [], problem: 'no answer' });
  });

  it('splits the answers for several files', () => {
    const out = parseFfprobeFiles(
      '@@file /v/a.mp4\n{"format":{"duration":"3.9"}}\n@@file /v/b.mp4\n/v/b.mp4: moov atom not found\n',
    );
    expect(out.get('/v/a.mp4')?.durationS).toBe(3.9);
    expect(out.get('/v/b.mp4')?.problem).toMatch(/moov atom/);
  });

  it('bounds the live check with timeout and reads over TCP', () => {
    expect(ffprobeRtspCommand('rtsp://127.0.0.1:8554/live/cam1').toString()).toMatch(
      /^timeout 8 ffprobe -rtsp_transport tcp .* rtsp:\/\/127\.0\.0\.1:8554\/live\/cam1 2>&1$/,
    );
  });
});

describe('systemd', () => {
  it('reads show lines and timestamps', () => {
    expect(parseShow('ActiveState=active\nNRestarts=3\nExecStart={ path=/x ; argv[]=/x a=b }')).toEqual({
      ActiveState: 'active',
      NRestarts: '3',
      ExecStart: '{ path=/x ; argv[]=/x a=b }',
    });
    expect(systemdTime('Sun 2026-12-06 15:00:01 UTC')).toBe('2026-12-06T15:00:01.000Z');
    expect(systemdTime('Sun 2026-12-06 16:00:01 CET', '+0100')).toBe('2026-12-06T15:00:01.000Z');
    expect(systemdTime('Sun 2026-12-06 16:00:01 CET')).toBeNull();
    expect(systemdTime('')).toBeNull();
  });
});
