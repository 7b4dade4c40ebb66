/**
 * HLS on the emulated R58 (port 8888, MediaMTX's layout) for an H.264 and an H.265 camera, as the console's
 * fallback plays it when WebRTC cannot: multivariant playlist → media playlist → MPEG-TS segment, checked with
 * ffprobe; the muxer is a reader of the path while it runs. Also the H.265 camera's WHEP refusal and the global
 * config with ICE-TCP on.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorAvailable, startEmulator, type Emulator } from '../../src-main/emulator/index.js';
import { until } from '../fixtures/until.js';

const run = promisify(execFile);
const ok = await emulatorAvailable();

let emu: Emulator;
let hls: string;
let tmp: string;

beforeAll(async () => {
  if (!ok) return;
  emu = await startEmulator({ cameras: 2, h265Cameras: ['cam1'] });
  hls = `http://${emu.device.address}:8888`;
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'emu-hls-'));
}, 120_000);

afterAll(async () => {
  await emu?.stop();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

/** The device's MediaMTX API (loopback inside the device), read from its network namespace. */
async function api<T>(urlPath: string): Promise<T> {
  const { stdout } = await run('ip', [
    'netns',
    'exec',
    emu.device.netns,
    'curl',
    '-sf',
    `http://127.0.0.1:9997${urlPath}`,
  ]);
  return JSON.parse(stdout) as T;
}

interface PathItem {
  name: string;
  online: boolean;
  tracks: string[];
  readers: { type: string; id: string }[];
}

async function segmentCodec(camera: string): Promise<{ codec: string; firstPlaylistMs: number }> {
  const started = Date.now();
  // The recorder brings the cameras up after start: 404 until the camera publishes.
  const index = await until(
    `${camera}/index.m3u8`,
    async () => {
      const res = await fetch(`${hls}/${camera}/index.m3u8`);
      return res.status === 200 ? res.text() : undefined;
    },
    90_000,
    500,
  );
  const firstPlaylistMs = Date.now() - started;
  expect(index).toMatch(/^#EXTM3U/);
  expect(index).toMatch(/#EXT-X-STREAM-INF:.*CODECS="(avc1|hvc1)\./);
  const media = index.split('\n').find((l) => l.endsWith('.m3u8'));
  expect(media).toBe('stream.m3u8');

  const res = await fetch(`${hls}/${camera}/${media}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
  const playlist = await res.text();
  expect(playlist).toMatch(/#EXT-X-TARGETDURATION:1/);
  const segment = playlist.split('\n').find((l) => l.endsWith('.ts'));
  expect(segment).toBeTruthy();
  const seg = await fetch(`${hls}/${camera}/${segment}`);
  expect(seg.status).toBe(200);
  expect(seg.headers.get('content-type')).toBe('video/mp2t');
  const file = path.join(tmp, `${camera}.ts`);
  await fs.writeFile(file, Buffer.from(await seg.arrayBuffer()));
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=codec_name',
    '-of',
    'csv=p=0',
    file,
  ]);
  // MPEG-TS files list the stream under the program too: the first name is the one.
  const codec = stdout.split('\n').find((l) => l.trim() !== '') ?? '';
  return { codec: codec.trim(), firstPlaylistMs };
}

describe.skipIf(!ok)('HLS on the emulated R58', () => {
  it('serves an H.264 camera: playlist, segment (ffprobe: h264), the muxer listed as a reader', async () => {
    const { codec, firstPlaylistMs } = await segmentCodec('cam0');
    expect(codec).toBe('h264');
    console.info(
      `emulator HLS: cam0 (H.264) first playlist after ${firstPlaylistMs} ms (includes camera start)`,
    );
    const item = await api<PathItem>('/v3/paths/get/cam0');
    expect(item.readers.map((r) => r.type)).toContain('hlsMuxer');
  }, 120_000);

  it('serves an H.265 camera (h265Cameras), which WHEP refuses with the codec reason', async () => {
    const { codec } = await segmentCodec('cam1');
    expect(codec).toBe('hevc');
    const item = await api<PathItem>('/v3/paths/get/cam1');
    expect(item.tracks).toEqual(['H265']);
    const whep = await fetch(`${emu.ready.whep}/cam1/whep`, {
      method: 'POST',
      headers: { 'content-type': 'application/sdp' },
      body: 'v=0\r\n',
    });
    expect(whep.status).toBe(400);
    const body = (await whep.json()) as { error: string };
    expect(body.error).toMatch(/doesn't contain any supported codec/);
    expect(body.error).toMatch(/H264/);
  }, 120_000);

  it('cam0 stays H.264 next to an H.265 camera (the default is unchanged)', async () => {
    const item = await api<PathItem>('/v3/paths/get/cam0');
    expect(item.tracks).toEqual(['H264']);
  });

  it('answers 404 for an unknown path and for a configured path nobody publishes', async () => {
    expect((await fetch(`${hls}/nope/index.m3u8`)).status).toBe(404);
    expect((await fetch(`${hls}/program/index.m3u8`)).status).toBe(404);
    expect((await fetch(`${hls}/cam0/seg99999.ts`)).status).toBe(404);
  });

  it('stops a muxer nobody asks for (hlsMuxerCloseAfter, 10 s): the path has no HLS reader left', async () => {
    await until(
      'cam0 and cam1 without an hlsMuxer reader',
      async () => {
        const list = await api<{ items: PathItem[] }>('/v3/paths/list');
        return list.items.every((p) => !p.readers.some((r) => r.type === 'hlsMuxer'));
      },
      60_000,
      500,
    );
  }, 90_000);

  it('reports the global config like MediaMTX, ICE-TCP on by default', async () => {
    const config = await api<Record<string, unknown>>('/v3/config/global/get');
    expect(config).toMatchObject({
      webrtcAddress: ':8889',
      webrtcLocalTCPAddress: ':8189',
      hlsAddress: ':8888',
      hls: true,
    });
    expect(config).toHaveProperty('webrtcLocalUDPAddress');
  });
});
