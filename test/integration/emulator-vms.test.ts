/**
 * The emulated VMS recorder host (seed 004), driven over real SSH as the console drives it: the unit and one ffmpeg
 * per camera found by argv, new H.265 segments on the (shortened) schedule, the live RTSP outputs playable, the
 * `nvidia-smi` query, each camera fault, and the backup and broken builds of the binary.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sh } from '../../src-main/core/device/quote.js';
import { emulatorAvailable, type Emulator } from '../../src-main/emulator/index.js';
import { startEmulatorSsh, type EmulatorSsh } from '../fixtures/emulator-ssh.js';
import { until } from '../fixtures/until.js';

const ok = await emulatorAvailable();
const why = ok ? '' : ' [skipped: the emulator needs root with network namespaces, veth and nftables]';

const CAM1 = 'Duc_Tai_Dendo_1';
const CAM2 = 'Duc_Tai_Dendo_2';
const SEGMENT_S = 2;

interface Proc {
  pid: number;
  stat: string;
  args: string;
}

describe.skipIf(!ok)(`emulated VMS recorder host over SSH${why}`, () => {
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
  const ffmpegs = async (): Promise<Proc[]> =>
    (await run('ps -eo pid=,stat=,comm=,args= | awk \'$3 == "ffmpeg"\'')).stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [pid = '', stat = '', , ...args] = line.trim().split(/\s+/);
        return { pid: Number(pid), stat, args: args.join(' ') };
      });
  const ofCamera = (procs: Proc[], camera: string): Proc[] =>
    procs.filter(
      (p) => p.args.includes(`/${camera}_%Y%m%d_%H%M%S.mp4`) || p.args.includes(`/live/${camera}`),
    );
  const segments = async (camera: string): Promise<string[]> =>
    (await run(`ls /var/vms/recordings | grep '^${camera}_' || true`)).stdout
      .split('\n')
      .filter(Boolean)
      .sort();
  /** Resolves once the camera has `count` more segments than it has now. */
  const newSegments = async (camera: string, count: number): Promise<void> => {
    const before = (await segments(camera)).length;
    await until(
      `${count} new segment(s) of ${camera}`,
      async () => (await segments(camera)).length >= before + count,
      60_000,
      250,
    );
  };
  const rtsp = async (camera: string): Promise<{ code: number; stdout: string }> =>
    run(
      `timeout 10 ffprobe -v error -rtsp_transport tcp -show_entries stream=codec_name -of csv=p=0 rtsp://127.0.0.1:8554/live/${camera}`,
      30_000,
    );
  const control = async (
    method: string,
    path: string,
  ): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${emu.ready.control}${path}`, { method });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    box = await startEmulatorSsh({ kind: 'vms', segmentSeconds: SEGMENT_S, nvidia: true });
    ({ emu, exec } = box);
  }, 180_000);

  afterAll(async () => {
    await box?.stop();
  }, 60_000);

  it('runs the vms-recorder unit with one ffmpeg per camera: H.265 segments and an H.264 RTSP output', async () => {
    expect(emu.ready).toMatchObject({ profile: 'vms', ssh: { user: 'ops' } });
    expect((await run('uname -m')).stdout).toBe('x86_64\n');
    expect((await run('systemctl is-active vms-recorder mediamtx')).stdout).toBe('active\nactive\n');
    const procs = await ffmpegs();
    for (const camera of [CAM1, CAM2]) {
      const mine = ofCamera(procs, camera);
      expect(mine).toHaveLength(1);
      const args = mine[0]?.args ?? '';
      expect(args).toContain(`-segment_time ${SEGMENT_S}`);
      expect(args).toContain('-strftime 1');
      expect(args).toContain(`/var/vms/recordings/${camera}_%Y%m%d_%H%M%S.mp4`);
      expect(args).toContain(`rtsp://127.0.0.1:8554/live/${camera}`);
      expect(args).toMatch(/libx265.*libx264/);
    }

    await newSegments(CAM1, 2);
    const names = await segments(CAM1);
    for (const name of names) expect(name).toMatch(new RegExp(`^${CAM1}_\\d{8}_\\d{6}\\.mp4$`));
    // The newest is still being written (no moov yet): probe a closed one.
    const closed = names.at(-2) ?? '';
    const probe = await run(
      `ffprobe -v error -show_entries stream=codec_name,width,height:format=duration -of json /var/vms/recordings/${closed}`,
    );
    const info = JSON.parse(probe.stdout) as {
      streams: { codec_name: string }[];
      format: { duration: string };
    };
    expect(info.streams.map((s) => s.codec_name)).toEqual(['hevc']);
    expect(Number(info.format.duration)).toBeGreaterThan(0);

    expect(await rtsp(CAM2)).toMatchObject({ code: 0, stdout: 'h264\n' });
    const smi = await run(
      'nvidia-smi --query-gpu=utilization.gpu,utilization.encoder,encoder.stats.sessionCount,encoder.stats.averageFps --format=csv,nounits',
    );
    const [header, row] = smi.stdout.trim().split('\n');
    expect(header).toBe(
      'utilization.gpu [%], utilization.encoder [%], encoder.stats.sessionCount, encoder.stats.averageFps',
    );
    expect(row?.split(', ')[2]).toBe('4');
  });

  it('camera-kill: the recorder starts the camera again; with stay it stays dead until cleared', async () => {
    const [victim] = ofCamera(await ffmpegs(), CAM1);
    expect(await control('POST', `/camera-kill?camera=${CAM1}`)).toMatchObject({
      status: 200,
      body: { ok: true, camera: CAM1, pids: [victim?.pid], stay: false },
    });
    await until(
      'a new ffmpeg for the killed camera',
      async () => {
        const now = ofCamera(await ffmpegs(), CAM1);
        return now.length === 1 && now[0]?.pid !== victim?.pid;
      },
      30_000,
    );

    expect((await control('POST', `/camera-kill?camera=${CAM1}&stay=1`)).status).toBe(200);
    // The other camera goes on recording while this one stays down.
    await newSegments(CAM2, 2);
    expect(ofCamera(await ffmpegs(), CAM1)).toEqual([]);
    expect((await run('journalctl -u vms-recorder -n 20')).stdout).toContain(
      `camera ${CAM1}: not restarting (held down)`,
    );
    expect(await control('DELETE', `/camera-kill?camera=${CAM1}`)).toMatchObject({
      status: 200,
      body: { held: [] },
    });
    await until('the camera comes back', async () => ofCamera(await ffmpegs(), CAM1).length === 1, 30_000);

    expect((await control('POST', '/camera-kill?camera=cam0')).status).toBe(400);
    expect((await control('POST', '/health-fail')).status).toBe(400);
  });

  it('camera-stall: the process stays but writes no new segment; output-down: no RTSP while recording goes on', async () => {
    const stalled = await control('POST', `/camera-stall?camera=${CAM2}`);
    expect(stalled).toMatchObject({ status: 200, body: { stalled: true } });
    const frozen = await segments(CAM2);
    await newSegments(CAM1, 2);
    expect(await segments(CAM2)).toEqual(frozen);
    expect(ofCamera(await ffmpegs(), CAM2)[0]?.stat).toMatch(/^T/);
    expect((await control('DELETE', `/camera-stall?camera=${CAM2}`)).status).toBe(200);
    await newSegments(CAM2, 1);

    expect(await control('POST', `/output-down?camera=${CAM1}`)).toMatchObject({
      status: 200,
      body: { outputsDown: [CAM1] },
    });
    expect((await rtsp(CAM1)).code).not.toBe(0);
    await newSegments(CAM1, 1);
    await control('DELETE', `/output-down?camera=${CAM1}`);
    expect(await rtsp(CAM1)).toMatchObject({ code: 0, stdout: 'h264\n' });
  });

  it('the backup build runs two ffmpeg per camera, the broken build starts and records nothing', async () => {
    const swap = async (build: string): Promise<void> => {
      const r = await run(
        `sudo -n cp /opt/vms/${build} /opt/vms/vms-recorder && sudo -n systemctl restart vms-recorder`,
        60_000,
      );
      expect(r.code, r.stderr).toBe(0);
    };
    expect((await run('sudo -n cp /opt/vms/vms-recorder /tmp/vms-recorder.phase3')).code).toBe(0);
    await swap('vms-recorder.before-phase3');
    await until(
      'two ffmpeg per camera',
      async () => {
        const procs = await ffmpegs();
        return ofCamera(procs, CAM1).length === 2 && ofCamera(procs, CAM2).length === 2;
      },
      30_000,
    );
    await newSegments(CAM1, 1);

    await swap('vms-recorder.broken-build');
    expect((await run('systemctl is-active vms-recorder')).stdout).toBe('active\n');
    await until('no ffmpeg left', async () => (await ffmpegs()).length === 0, 30_000);
    expect((await run('journalctl -u vms-recorder -n 5')).stdout).toContain('recording disabled');
  });
});
