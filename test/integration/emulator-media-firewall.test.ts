/**
 * The emulated R58 behind a firewall that lets SSH through but not media (`control.blockMedia()`), with ICE-TCP
 * turned off in its MediaMTX settings (`iceTcp: false`), and the WHEP reader count in `/v3/paths/list` as the
 * console's "closing the view drops the readers to 0" check reads it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import { emulatorAvailable, startEmulator, type Emulator } from '../emulator/index.js';
import { until } from '../fixtures/until.js';

const run = promisify(execFile);
const ok = await emulatorAvailable();

let emu: Emulator;

beforeAll(async () => {
  if (!ok) return;
  emu = await startEmulator({ cameras: 1, iceTcp: false });
}, 120_000);

afterAll(async () => {
  await emu?.control.unblockMedia().catch(() => undefined);
  await emu?.stop();
});

/** A command on the device over SSH (the printed loopback address), as linaro. */
async function ssh(command: string): Promise<string> {
  const { ssh: s } = emu.ready;
  const { stdout } = await run('ssh', [
    '-i',
    s.identityFile,
    '-p',
    String(s.port),
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'LogLevel=ERROR',
    `${s.user}@${s.host}`,
    command,
  ]);
  return stdout;
}

async function api<T>(urlPath: string): Promise<T> {
  return JSON.parse(await ssh(`curl -sf http://127.0.0.1:9997${urlPath}`)) as T;
}

async function webrtcReaders(): Promise<number> {
  const item = await api<{ readers: { type: string }[] }>('/v3/paths/get/cam0');
  return item.readers.filter((r) => r.type === 'webRTCSession').length;
}

/** True when an HTTP answer comes back from the host side within 2 s. */
async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, { method: 'OPTIONS', signal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
}

interface Reader {
  pc: RTCPeerConnection;
  answer: string;
  location: string;
  packets(): number;
}

async function openReader(): Promise<Reader> {
  const h264 = new RTCRtpCodecParameters({
    mimeType: 'video/H264',
    clockRate: 90000,
    rtcpFeedback: [],
    parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  });
  const pc = new RTCPeerConnection({ codecs: { video: [h264] } });
  pc.addTransceiver('video', { direction: 'recvonly' });
  let packets = 0;
  pc.onTrack.subscribe((track) => track.onReceiveRtp.subscribe(() => void packets++));
  await pc.setLocalDescription(await pc.createOffer());
  const res = await until(
    'cam0 answers WHEP',
    async () => {
      const r = await fetch(`${emu.ready.whep}/cam0/whep`, {
        method: 'POST',
        headers: { 'content-type': 'application/sdp' },
        body: pc.localDescription?.sdp,
      });
      return r.status === 201 ? r : undefined;
    },
    60_000,
    500,
  );
  const answer = await res.text();
  await pc.setRemoteDescription({ type: 'answer', sdp: answer });
  return { pc, answer, location: res.headers.get('location') ?? '', packets: () => packets };
}

describe.skipIf(!ok)('media blocked, ICE-TCP off, WHEP reader counts', () => {
  it('says ICE-TCP is off in the global config and offers no TCP candidates', async () => {
    const config = await api<Record<string, unknown>>('/v3/config/global/get');
    expect(config).toMatchObject({ webrtcLocalTCPAddress: '', webrtcAddress: ':8889', hlsAddress: ':8888' });
    expect(await ssh('cat /etc/mediamtx/mediamtx.yml')).toMatch(/^webrtcLocalTCPAddress: ''$/m);
    const reader = await openReader();
    try {
      expect(reader.answer).toMatch(/a=candidate:\S+ 1 udp /);
      expect(reader.answer).not.toMatch(/a=candidate:\S+ 1 tcp /);
    } finally {
      await reader.pc.close();
    }
  }, 90_000);

  it('counts a WHEP reader from the POST and drops it to 0 after the DELETE', async () => {
    await until('no readers left from before', async () =>
      (await webrtcReaders()) === 0 ? true : undefined,
    );
    const reader = await openReader();
    try {
      await until('RTP from cam0', () => (reader.packets() > 0 ? true : undefined));
      expect(await webrtcReaders()).toBe(1);
      const res = await fetch(new URL(reader.location, emu.ready.whep), { method: 'DELETE' });
      expect(res.status).toBe(200);
      await until('readers back to 0 after DELETE', async () =>
        (await webrtcReaders()) === 0 ? true : undefined,
      );
    } finally {
      await reader.pc.close();
    }
  }, 90_000);

  it('media blocked: WHEP and HLS unreachable from the host, SSH and the device itself still reach 8889', async () => {
    await emu.control.blockMedia();
    try {
      expect((await emu.control.state()).media).toBe('blocked');
      expect(await answers(`${emu.ready.whep}/cam0/whep`)).toBe(false);
      expect(await answers(`http://${emu.device.address}:8888/cam0/index.m3u8`)).toBe(false);
      const local = await ssh(
        `curl -s -o /dev/null -w '%{http_code}' -X OPTIONS http://127.0.0.1:8889/cam0/whep; echo; ` +
          `curl -s -o /dev/null -w '%{http_code}' -X OPTIONS http://${emu.device.address}:8889/cam0/whep`,
      );
      expect(local.trim().split(/\s+/)).toEqual(['204', '204']);
    } finally {
      await emu.control.unblockMedia();
    }
    expect((await emu.control.state()).media).toBe('open');
    expect(await answers(`${emu.ready.whep}/cam0/whep`)).toBe(true);
  }, 60_000);

  it('a reader that just disappears (media blocked mid-stream) is dropped to 0 by the reader timeout', async () => {
    const reader = await openReader();
    try {
      await until('RTP from cam0', () => (reader.packets() > 0 ? true : undefined));
      expect(await webrtcReaders()).toBe(1);
      await emu.control.blockMedia();
      await until('readers back to 0 after the peer went silent', async () =>
        (await webrtcReaders()) === 0 ? true : undefined,
      );
    } finally {
      await emu.control.unblockMedia();
      await reader.pc.close();
    }
  }, 90_000);

  it('the control server has POST /media/block and /media/unblock', async () => {
    const post = async (p: string): Promise<{ status: number; body: unknown }> => {
      const res = await fetch(`${emu.ready.control}${p}`, { method: 'POST' });
      return { status: res.status, body: await res.json() };
    };
    expect(await post('/media/block')).toEqual({ status: 200, body: { ok: true, media: 'blocked' } });
    expect(await post('/media/unblock')).toEqual({ status: 200, body: { ok: true, media: 'open' } });
    expect((await fetch(`${emu.ready.control}/media/block`)).status).toBe(405);
  });
});
