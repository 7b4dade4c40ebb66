import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../../src-main/core/device/profile.js';
import type { ShellCommand } from '../../../src-main/core/device/quote.js';
import {
  bitrateKbps,
  CameraReader,
  cameraViews,
  parseCameraWord,
} from '../../../src-main/core/recorder/cameras.js';
import { parseMediaPaths } from '../../../src-main/core/device/mediamtx.js';
import type { ConnectionManager } from '../../../src-main/core/ssh/connection-manager.js';
import type { ExecResult } from '../../../src-main/core/ssh/types.js';

const profile = loadProfile('r58');

/** One item of MediaMTX's v3 paths list, as the emulated R58's media server (and MediaMTX 1.15) answers. */
function item(name: string, bytes: number, online = true): Record<string, unknown> {
  return {
    name,
    confName: name,
    source: online ? { type: 'rtspSession', id: 'x' } : null,
    ready: online,
    online,
    tracks: online ? ['H264'] : [],
    tracks2: online
      ? [{ codec: 'H264', codecProps: { width: 3840, height: 2160, profile: 'High', level: '5.1' } }]
      : [],
    readers: name === 'cam1' ? [{ type: 'webRTCSession', id: 'r' }] : [],
    inboundBytes: bytes,
    outboundBytes: 0,
  };
}

describe('MediaMTX paths', () => {
  it('reads name, online, codec, resolution, inbound bytes and readers', () => {
    const paths = parseMediaPaths({
      itemCount: 2,
      pageCount: 1,
      items: [item('cam0', 7170076), item('cam1', 10)],
    });
    expect(paths).toEqual([
      {
        name: 'cam0',
        online: true,
        codec: 'H264',
        resolution: '3840x2160',
        inboundBytes: 7170076,
        readers: 0,
      },
      { name: 'cam1', online: true, codec: 'H264', resolution: '3840x2160', inboundBytes: 10, readers: 1 },
    ]);
  });

  it('reads older MediaMTX (bytesReceived, ready, tracks without props)', () => {
    expect(
      parseMediaPaths({
        items: [{ name: 'cam2', ready: true, tracks: ['H265'], readers: [], bytesReceived: 500 }],
      }),
    ).toEqual([
      { name: 'cam2', online: true, codec: 'H265', resolution: null, inboundBytes: 500, readers: 0 },
    ]);
    expect(parseMediaPaths({ error: 'x' })).toBeUndefined();
  });
});

describe('camera words and rates', () => {
  it('maps the recorder’s words (seed 001) to a signal and resolution', () => {
    expect(parseCameraWord('streaming (3840x2160)')).toEqual({
      signal: 'streaming',
      resolution: '3840x2160',
    });
    expect(parseCameraWord('no_signal')).toEqual({ signal: 'no_signal', resolution: null });
    expect(parseCameraWord('error')).toEqual({ signal: 'error', resolution: null });
    expect(parseCameraWord('starting')).toEqual({ signal: 'unknown', resolution: null });
    expect(parseCameraWord(undefined)).toEqual({ signal: 'unknown', resolution: null });
  });

  it('computes kbit/s between readings; nothing on the first or after a counter reset', () => {
    expect(bitrateKbps(undefined, { bytes: 1000, atMs: 0 })).toBeNull();
    expect(bitrateKbps({ bytes: 0, atMs: 0 }, { bytes: 1_000_000, atMs: 1000 })).toBe(8000);
    expect(bitrateKbps({ bytes: 5000, atMs: 0 }, { bytes: 10, atMs: 1000 })).toBeNull();
    expect(bitrateKbps({ bytes: 0, atMs: 0 }, { bytes: 10, atMs: 0 })).toBeNull();
  });

  it('lists the profile’s cameras found in either source, in profile order', () => {
    const views = cameraViews(
      profile,
      {
        summary: { total: 2, streaming: 1, no_signal: 1, error: 0 },
        cameras: { cam2: 'no_signal', cam0: 'streaming (1920x1080)', extra: 'error' },
      },
      '',
      [
        { name: 'cam0', online: true, codec: 'H264', resolution: '1920x1080', inboundBytes: 1, readers: 2 },
        { name: 'cam1', online: false, codec: null, resolution: null, inboundBytes: 0, readers: 0 },
        { name: 'program', online: false, codec: null, resolution: null, inboundBytes: 0, readers: 0 },
      ],
      (p) => (p.name === 'cam0' ? 4000 : null),
    );
    expect(views).toEqual([
      {
        name: 'cam0',
        signal: 'streaming',
        detail: 'streaming (1920x1080)',
        resolution: '1920x1080',
        codec: 'H264',
        bitrateKbps: 4000,
        readers: 2,
        online: true,
      },
      {
        name: 'cam1',
        signal: 'unknown',
        detail: 'Not in the recorder’s status.',
        resolution: null,
        codec: null,
        bitrateKbps: null,
        readers: 0,
        online: false,
      },
      {
        name: 'cam2',
        signal: 'no_signal',
        detail: 'no_signal',
        resolution: null,
        codec: null,
        bitrateKbps: null,
        readers: null,
        online: false,
      },
    ]);
  });
});

describe('CameraReader', () => {
  it('reads both sources in one command and rates each path from the previous reading', async () => {
    let bytes = 1_000_000;
    const sent: string[] = [];
    const connections = {
      exec: (_id: string, cmd: ShellCommand): Promise<ExecResult> => {
        sent.push(cmd.text);
        const status = JSON.stringify({
          summary: { total: 1, streaming: 1, no_signal: 0, error: 0 },
          cameras: { cam0: 'streaming (3840x2160)' },
        });
        const paths = JSON.stringify({ items: [item('cam0', bytes)] });
        bytes += 1_000_000;
        return Promise.resolve({
          code: 0,
          signal: null,
          stdout: `@@tally-section recorder\n${status}\n\n@@http 200\n@@tally-rc 0\n@@tally-section mediamtx\n${paths}\n@@http 200\n@@tally-rc 0\n`,
          stderr: '',
          durationMs: 1,
        });
      },
    } as unknown as ConnectionManager;
    const reader = new CameraReader(connections, () => profile);
    const [first] = await reader.list('d');
    expect(first?.bitrateKbps).toBeNull();
    await new Promise((r) => setTimeout(r, 200));
    const [second] = await reader.list('d');
    // 8 Mbit over ~0.2 s, give or take the timer.
    expect(second?.bitrateKbps).toBeGreaterThan(10_000);
    expect(second?.bitrateKbps).toBeLessThan(60_000);
    expect(sent).toHaveLength(2);
    expect(sent[0]).toContain(' http://127.0.0.1:8000/status;');
    expect(sent[0]).toContain(' http://127.0.0.1:9997/v3/paths/list;');
  });

  it('says which source failed how when neither answers', async () => {
    const connections = {
      exec: (): Promise<ExecResult> =>
        Promise.resolve({
          code: 0,
          signal: null,
          stdout:
            "@@tally-section recorder\ncurl: (7) Failed to connect to 127.0.0.1 port 8000: Couldn't connect to server\n\n@@http 000\n@@tally-rc 7\n" +
            '@@tally-section mediamtx\ncurl: (28) Operation timed out after 5001 milliseconds with 0 bytes received\n\n@@http 000\n@@tally-rc 28\n',
          stderr: '',
          durationMs: 1,
        }),
    } as unknown as ConnectionManager;
    await expect(new CameraReader(connections, () => profile).list('d')).rejects.toMatchObject({
      code: 'unavailable',
      message:
        "Neither the recorder API (127.0.0.1:8000: curl: (7) Failed to connect to 127.0.0.1 port 8000: Couldn't connect to server) " +
        "nor MediaMTX's API (127.0.0.1:9997: curl: (28) Operation timed out after 5001 milliseconds with 0 bytes received) answers. " +
        'Check that preke-recorder and mediamtx are running.',
    });
  });
});
