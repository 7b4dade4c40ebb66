/**
 * The emulated GPU transcoder (seed 003), driven over real SSH as the console drives it: `sudo -n docker …` and its
 * JSON, the HTTP API's health and Prometheus text, a `/transcode` read unbuffered whose bytes ffprobe calls MPEG-TS
 * with H.264 and AAC, the image tags that compose recreates from, and each fault of the control server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sh } from '../../src-main/core/device/quote.js';
import { emulatorAvailable, type Emulator } from '../../src-main/emulator/index.js';
import { startEmulatorSsh, type EmulatorSsh } from '../fixtures/emulator-ssh.js';
import { until } from '../fixtures/until.js';

const ok = await emulatorAvailable();
const why = ok ? '' : ' [skipped: the emulator needs root with network namespaces, veth and nftables]';

const NAME = 'xg2g-transcoder';
const COMPOSE =
  'sudo -n docker compose -f /opt/xg2g/docker-compose.minimal.yml up -d --force-recreate transcoder';

interface Inspect {
  Id: string;
  Name: string;
  RestartCount: number;
  Image: string;
  State: { Status: string; Running: boolean; Restarting: boolean; ExitCode: number; Pid: number };
  HostConfig: { RestartPolicy: { Name: string } };
  Config: { Image: string; Tty: boolean };
}

describe.skipIf(!ok)(`emulated GPU transcoder over SSH${why}`, () => {
  let box: EmulatorSsh | undefined;
  let emu: Emulator;
  let exec: EmulatorSsh['exec'];

  const run = async (
    command: string,
    timeoutMs?: number,
  ): Promise<{ code: number; stdout: string; stderr: string }> => {
    const r = await exec(sh`sh -c ${command}`, timeoutMs);
    return { code: r.code ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const inspect = async (): Promise<Inspect> => {
    const r = await run(`sudo -n docker inspect ${NAME}`);
    expect(r.code, r.stderr).toBe(0);
    const list = JSON.parse(r.stdout) as Inspect[];
    expect(list).toHaveLength(1);
    return list[0] as Inspect;
  };
  const health = async (): Promise<{ status: number; body: Record<string, unknown> }> => {
    const r = await run(`curl -s -w '\\n%{http_code}' http://127.0.0.1:8081/health`);
    const [body = '', status = '0'] = r.stdout.split('\n');
    return { status: Number(status), body: body ? (JSON.parse(body) as Record<string, unknown>) : {} };
  };
  const control = async (
    method: string,
    path: string,
  ): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${emu.ready.control}${path}`, { method });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    box = await startEmulatorSsh({ kind: 'transcoder' });
    ({ emu, exec } = box);
  }, 180_000);

  afterAll(async () => {
    await box?.stop();
  }, 60_000);

  it('is an x86 box with user ops, and docker answers only root, in JSON', async () => {
    expect(emu.ready).toMatchObject({ profile: 'transcoder', ssh: { user: 'ops' } });
    expect((await run('uname -m')).stdout).toBe('x86_64\n');
    const denied = await run('docker ps -a');
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('permission denied');
    const table = await run('sudo -n docker ps -a');
    expect(table.code).not.toBe(0);
    expect(table.stderr.trim().split('\n')).toHaveLength(1);
    expect(table.stderr).toContain("--format '{{json .}}'");
    expect((await run('sudo -n docker exec -it xg2g-transcoder sh')).code).not.toBe(0);

    const ps = await run(`sudo -n docker ps -a --filter 'name=^${NAME}$' --format '{{json .}}'`);
    expect(ps.code, ps.stderr).toBe(0);
    const lines = ps.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      Names: NAME,
      Image: 'xg2g-gpu-transcoder:production',
      State: 'running',
      Status: expect.stringMatching(/^Up /),
    });
    const c = await inspect();
    expect(c).toMatchObject({
      Name: `/${NAME}`,
      RestartCount: 0,
      State: { Status: 'running', Running: true, Restarting: false },
      HostConfig: { RestartPolicy: { Name: 'unless-stopped' } },
      Config: { Image: 'xg2g-gpu-transcoder:production', Tty: true },
    });
    expect(c.Image).toMatch(/^sha256:[0-9a-f]{64}$/);
    const images = await run(`sudo -n docker images --format '{{json .}}'`);
    const tags = images.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { Tag: string }).Tag)
      .sort();
    expect(tags).toEqual(['broken', 'previous', 'production']);
  });

  it('serves health and Prometheus metrics, and streams a real H.264 + AAC transcode read unbuffered', async () => {
    expect(await health()).toEqual({
      status: 200,
      body: { status: 'healthy', vaapi_available: true, active_streams: 0, version: '1.4.2' },
    });
    const metrics = (await run('curl -s http://127.0.0.1:8081/metrics')).stdout;
    for (const [name, type] of [
      ['xg2g_active_streams', 'gauge'],
      ['xg2g_ffmpeg_restarts_total', 'counter'],
      ['xg2g_transcodes_total', 'counter'],
      ['xg2g_vaapi_available', 'gauge'],
      ['process_resident_memory_bytes', 'gauge'],
      ['process_cpu_seconds_total', 'counter'],
    ])
      expect(metrics).toMatch(new RegExp(`^# TYPE ${name} ${type}\\n${name} [0-9.e+]+$`, 'm'));

    const source = 'http://127.0.0.1:17999/test.ts';
    // While the read runs: the GPU busy file and /health count the stream.
    const r = await run(
      `curl -sN --max-time 6 -o /tmp/t.ts 'http://127.0.0.1:8081/transcode?source_url=${source}' & ` +
        `until curl -s http://127.0.0.1:8081/health | grep -q '"active_streams": 1'; do sleep 0.2; done; ` +
        'echo "gpu=$(cat /sys/class/drm/card0/device/gpu_busy_percent)"; wait; ' +
        'ffprobe -v error -show_entries format=format_name:stream=codec_name,profile -of json /tmp/t.ts',
      60_000,
    );
    expect(r.stdout).toMatch(/^gpu=\d+$/m);
    expect(Number(/^gpu=(\d+)$/m.exec(r.stdout)?.[1])).toBeGreaterThan(10);
    const probe = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as {
      format: { format_name: string };
      streams: { codec_name: string; profile?: string }[];
    };
    expect(probe.format.format_name).toBe('mpegts');
    expect(probe.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    expect(probe.streams.find((s) => s.codec_name === 'h264')?.profile).toBe('High');
    expect((await run('curl -s http://127.0.0.1:8081/metrics')).stdout).toMatch(/^xg2g_transcodes_total 1$/m);
  });

  it('logs with -t, -n and --since; -f follows until the container stops; start brings it back with count 0', async () => {
    const tail = await run(`sudo -n docker logs -t -n 2 ${NAME}`);
    expect(tail.code, tail.stderr).toBe(0);
    const lines = tail.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z .*\r$/);
    expect((await run(`sudo -n docker logs --since 2099-01-01T00:00:00Z ${NAME}`)).stdout).toBe('');
    expect((await run(`sudo -n docker logs --since yesterday ${NAME}`)).code).not.toBe(0);

    const follow = await run(
      `since=$(date -u +%Y-%m-%dT%H:%M:%SZ); sudo -n docker logs -f --since "$since" ${NAME} > /tmp/f.log & p=$!; ` +
        `curl -s 'http://127.0.0.1:8081/transcode?source_url=http://127.0.0.1:9/nothing' > /dev/null; ` +
        `sudo -n docker stop ${NAME}; wait $p; echo "follow ended $?"; cat /tmp/f.log`,
      60_000,
    );
    expect(follow.stdout).toContain(`${NAME}\nfollow ended 0\n`);
    expect(follow.stdout).toContain('transcode started: source=http://127.0.0.1:9/nothing');
    const stopped = await inspect();
    expect(stopped.State).toMatchObject({ Status: 'exited', Running: false, ExitCode: 0 });
    // unless-stopped: a container stopped by hand stays stopped.
    expect((await run(`sudo -n docker ps --format '{{json .}}'`)).stdout).toBe('');

    expect((await run(`sudo -n docker start ${NAME}`)).stdout).toBe(`${NAME}\n`);
    await until('the transcoder answers again', async () => (await health()).status === 200, 30_000);
    expect((await inspect()).RestartCount).toBe(0);
  });

  it('faults: health failing, VAAPI gone, and a crash the restart policy brings back with RestartCount + 1', async () => {
    expect(await control('POST', '/health-fail')).toEqual({
      status: 200,
      body: { ok: true, healthFail: true },
    });
    expect(await health()).toMatchObject({
      status: 503,
      body: { status: 'unhealthy', vaapi_available: true },
    });
    await control('DELETE', '/health-fail');
    expect((await health()).status).toBe(200);

    await control('POST', '/vaapi-off');
    expect(await health()).toMatchObject({
      status: 503,
      body: { status: 'unhealthy', vaapi_available: false },
    });
    expect((await run('curl -s http://127.0.0.1:8081/metrics')).stdout).toMatch(/^xg2g_vaapi_available 0$/m);
    await control('DELETE', '/vaapi-off');
    expect((await health()).status).toBe(200);

    const before = await inspect();
    const crash = await control('POST', '/crash');
    expect(crash).toMatchObject({ status: 200, body: { ok: true, pid: before.State.Pid } });
    const after = await until(
      'the restart policy brings the container back',
      async () => {
        const c = await inspect();
        return c.RestartCount === before.RestartCount + 1 &&
          c.State.Running &&
          c.State.Pid !== before.State.Pid
          ? c
          : undefined;
      },
      30_000,
    );
    expect(after.Id).toBe(before.Id);
    expect((await run(`sudo -n docker logs ${NAME}`)).stdout).toContain('panicked');
    await until('healthy after the crash', async () => (await health()).status === 200, 30_000);

    expect((await control('POST', '/camera-kill?camera=x')).status).toBe(400);
  });

  it('docker tag moves production, and compose recreates the container from whatever it points at now', async () => {
    const first = await inspect();
    expect(
      (await run('sudo -n docker tag xg2g-gpu-transcoder:broken xg2g-gpu-transcoder:production')).code,
    ).toBe(0);
    const broken = JSON.parse(
      (await run('sudo -n docker image inspect xg2g-gpu-transcoder:broken')).stdout,
    ) as {
      Id: string;
      RepoTags: string[];
    }[];
    expect(broken[0]?.RepoTags.sort()).toEqual([
      'xg2g-gpu-transcoder:broken',
      'xg2g-gpu-transcoder:production',
    ]);
    // The running container still runs the old image, which ps now names by its id.
    const ps = JSON.parse((await run(`sudo -n docker ps --format '{{json .}}'`)).stdout) as { Image: string };
    expect(ps.Image).toBe(first.Image.slice(7, 19));

    const up = await run(COMPOSE, 60_000);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain(`Container ${NAME}  Started`);
    const recreated = await inspect();
    expect(recreated.Id).not.toBe(first.Id);
    expect(recreated).toMatchObject({
      Image: broken[0]?.Id,
      RestartCount: 0,
      Config: { Image: 'xg2g-gpu-transcoder:production' },
    });
    await until(
      'the broken image answers 503 without VAAPI',
      async () => {
        const h = await health();
        return h.status === 503 && h.body.vaapi_available === false;
      },
      30_000,
    );

    await run('sudo -n docker tag xg2g-gpu-transcoder:previous xg2g-gpu-transcoder:production');
    expect((await run(COMPOSE, 60_000)).code).toBe(0);
    const back = await until(
      'the previous image is healthy',
      async () => {
        const h = await health();
        return h.status === 200 ? h : undefined;
      },
      30_000,
    );
    expect(back.body.version).toBe('1.3.7');
  });
});
