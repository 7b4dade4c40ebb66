/**
 * The emulated R58 behind a firewall that lets SSH through but not media (`control.blockMedia()`), with ICE-TCP
 * turned off in its MediaMTX settings (`iceTcp: false`), and the WHEP reader count in `/v3/paths/list` as the
 * console's "closing the view drops the readers to 0" check reads it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import { emulatorAvailable, startEmulator, type Emulator } from '../../src-main/emulator/index.js';
import {
  freePort,
  launchChromium,
  play,
  playerStats,
  servePlayerPage,
  stopPlayer,
} from '../fixtures/media-server/harness.js';
import { canConnect } from '../../src-main/emulator/tcp-probe.js';
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

function sshArgs(e: Emulator): string[] {
  const { ssh: s } = e.ready;
  return [
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
  ];
}

/** A command on the device over SSH (the printed loopback address), as linaro. */
async function ssh(command: string): Promise<string> {
  const { stdout } = await run('ssh', [...sshArgs(emu), command]);
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

/**
 * What the console does when only SSH reaches the box: forward WHEP (8889) and ICE-TCP (8189) through the SSH
 * connection, and point the answer's passive TCP candidate at the forwarded port. Chromium then plays over
 * ICE-TCP, with the device's media ports closed to this machine.
 */
describe.skipIf(!ok)('previews through an SSH tunnel over ICE-TCP while media is blocked', () => {
  let tunneled: Emulator;
  let tunnel: ChildProcess;
  let proxy: http.Server;
  let browser: Browser;
  let player: { url: string; close(): Promise<void> };
  let whepLocal = 0;
  let iceLocal = 0;

  beforeAll(async () => {
    [tunneled, browser, player] = await Promise.all([
      startEmulator({ cameras: 1 }),
      launchChromium(),
      servePlayerPage(),
    ]);
    await tunneled.control.blockMedia();
    [whepLocal, iceLocal] = [await freePort(), await freePort()];
    tunnel = spawn(
      'ssh',
      [
        '-N',
        '-L',
        `127.0.0.1:${whepLocal}:127.0.0.1:8889`,
        '-L',
        `127.0.0.1:${iceLocal}:127.0.0.1:8189`,
        ...sshArgs(tunneled),
      ],
      { stdio: 'ignore' },
    );
    await until(
      'the SSH forwards listen',
      async () => (await canConnect('127.0.0.1', whepLocal)) && (await canConnect('127.0.0.1', iceLocal)),
    );
    // The console's part: relay WHEP to the forward and rewrite the passive TCP candidate to the other one.
    proxy = http.createServer((req, res) => {
      const upstream = http.request(
        { host: '127.0.0.1', port: whepLocal, method: req.method, path: req.url, headers: req.headers },
        (up) => {
          const chunks: Buffer[] = [];
          up.on('data', (c: Buffer) => chunks.push(c));
          up.on('end', () => {
            let body = Buffer.concat(chunks).toString('utf8');
            if ((up.headers['content-type'] ?? '').startsWith('application/sdp'))
              body = body.replace(
                /^(a=candidate:\S+ \d+ tcp \d+ )\S+ 8189( typ host tcptype passive)/gm,
                `$1127.0.0.1 ${iceLocal}$2`,
              );
            const headers = { ...up.headers, 'content-length': String(Buffer.byteLength(body)) };
            res.writeHead(up.statusCode ?? 502, headers);
            res.end(body);
          });
        },
      );
      upstream.on('error', () => res.writeHead(502).end());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()));
  }, 120_000);

  afterAll(async () => {
    tunnel?.kill('SIGTERM');
    proxy?.closeAllConnections();
    await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
    await browser?.close();
    await player?.close();
    await tunneled?.stop();
  });

  it('plays cam0 over ICE-TCP through the tunnel, and the reader count drops to 0 when the view closes', async () => {
    expect(await answers(`${tunneled.ready.whep}/cam0/whep`)).toBe(false);
    const page = await browser.newPage();
    try {
      await page.goto(player.url);
      const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/cam0/whep`;
      const result = await until(
        'cam0 answers WHEP through the tunnel',
        async () => {
          const r = await play(page, url, 'tcp');
          if (r.status === 201) return r;
          await stopPlayer(page, 0, false);
          return undefined;
        },
        60_000,
        500,
      );
      expect(
        result.answerCandidates.some((c) => c.includes(` tcp `) && c.includes(`127.0.0.1 ${iceLocal}`)),
      ).toBe(true);
      const stats = await until('frames decoded over ICE-TCP', async () => {
        const s = await playerStats(page);
        return s.framesDecoded > 10 ? s : undefined;
      });
      expect(stats.pair?.remoteProtocol).toBe('tcp');
      const readers = async (): Promise<number> => {
        const { stdout } = await run('ssh', [
          ...sshArgs(tunneled),
          'curl -sf http://127.0.0.1:9997/v3/paths/get/cam0',
        ]);
        const item = JSON.parse(stdout) as { readers: { type: string }[] };
        return item.readers.filter((r) => r.type === 'webRTCSession').length;
      };
      expect(await readers()).toBe(1);
      await stopPlayer(page, 0, true);
      await until('readers back to 0 after the view closed', async () =>
        (await readers()) === 0 ? true : undefined,
      );
    } finally {
      await page.close();
    }
  }, 120_000);
});
