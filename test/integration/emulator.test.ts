/**
 * The emulated R58, driven the way the console drives a real one: over SSH with the console's own connection
 * manager, sudo, the VPU debugfs file, systemctl, journalctl, dmesg, the MediaMTX API on the device's loopback,
 * and faults from the control server. Also prints the emulator's start-up time and CPU use for 4 cameras.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import readline from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import type { ConnectionState } from '../../src-main/contract/index.js';
import { sh } from '../../src-main/core/device/quote.js';
import {
  emulatorAvailable,
  repoRoot,
  startEmulator,
  type Emulator,
  type ReadyInfo,
} from '../../src-main/emulator/index.js';
import {
  connectAndWait,
  createSshConsole,
  endpointFor,
  identity,
  trustKnownHostsLine,
  type SshConsole,
} from '../fixtures/ssh-console.js';
import { startEmulatorSsh, type EmulatorSsh } from '../fixtures/emulator-ssh.js';
import { until } from '../fixtures/until.js';

const run = promisify(execFile);
const ok = await emulatorAvailable();
const why = ok ? '' : ' [skipped: the emulator needs root with network namespaces, veth and nftables]';
const LOST: ConnectionState[] = ['disconnected', 'connecting', 'unreachable'];
const PANIC_SED = String.raw`/^  cam0:/s/properties: {[^}]*}/properties: { bps: 8000000, bps-max: 16000000 }/`;

/** The device's PID namespace, as seen from this machine: the namespace of the launcher's child (PID 1). */
function devicePidNamespace(emu: Emulator): string {
  const children = readFileSync(`/proc/${emu.device.pid}/task/${emu.device.pid}/children`, 'utf8').trim();
  const init = children.split(/\s+/)[0];
  if (!init) throw new Error('the device launcher has no child');
  return readlinkSync(`/proc/${init}/ns/pid`);
}

/** utime + stime (clock ticks) of every process in that PID namespace, by comm. */
function cpuTicks(ns: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/ns/pid`) !== ns) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(rest[11]) + Number(rest[12]);
      out.set(`${name}:${comm}`, ticks);
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

async function measureCpu(emu: Emulator, seconds: number): Promise<{ total: number; byComm: string }> {
  const hz = Number((await run('getconf', ['CLK_TCK'])).stdout.trim()) || 100;
  const ns = devicePidNamespace(emu);
  const before = cpuTicks(ns);
  const started = Date.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const after = cpuTicks(ns);
  const elapsed = (Date.now() - started) / 1000;
  const byComm = new Map<string, number>();
  let total = 0;
  for (const [key, ticks] of after) {
    const delta = ticks - (before.get(key) ?? 0);
    const comm = key.slice(key.indexOf(':') + 1);
    byComm.set(comm, (byComm.get(comm) ?? 0) + delta);
    total += delta;
  }
  const pct = (ticks: number): number => Math.round((ticks / hz / elapsed) * 100 * 10) / 10;
  return {
    total: pct(total),
    byComm: [...byComm]
      .sort((a, b) => b[1] - a[1])
      .map(([comm, t]) => `${comm} ${pct(t)}%`)
      .join(', '),
  };
}

describe.skipIf(!ok)(`emulated R58${why}`, () => {
  let emu: Emulator;
  let con: SshConsole;
  let id: string;
  let exec: EmulatorSsh['exec'];
  let r58: EmulatorSsh | undefined;
  const sessions = async (): Promise<number> => {
    const r = await exec(sh`sudo cat /sys/kernel/debug/mpp_service/session | grep -c session || true`);
    return Number(r.stdout.trim());
  };
  const onlinePaths = async (): Promise<string[]> => {
    const r = await exec(sh`curl -s http://127.0.0.1:9997/v3/paths/list`);
    const list = JSON.parse(r.stdout) as { items: { name: string; online?: boolean; ready?: boolean }[] };
    return list.items
      .filter((p) => p.online ?? p.ready)
      .map((p) => p.name)
      .sort();
  };
  const cameraStatus = async (): Promise<Record<string, string>> => {
    const r = await exec(sh`curl -s http://127.0.0.1:8000/status`);
    return (JSON.parse(r.stdout) as { cameras: Record<string, string> }).cameras;
  };

  beforeAll(async () => {
    r58 = await startEmulatorSsh(
      { cameras: 4, stopTimeoutMs: 3000 },
      { console: { keepalive: { intervalMs: 1000, countMax: 3 }, reconnect: { baseMs: 200, maxMs: 1000 } } },
    );
    ({ emu, con, id, exec } = r58);
    console.info(`emulator: ready in ${emu.startupMs} ms (4 cameras): ${JSON.stringify(emu.ready)}`);
  }, 180_000);

  afterAll(async () => {
    await r58?.stop();
  }, 60_000);

  it('prints a ready line whose host key fingerprint is the one the console is shown', async () => {
    const ready: ReadyInfo = emu.ready;
    expect(ready.profile).toBe('r58');
    expect(ready.ssh.user).toBe('linaro');
    expect(ready.ssh.hostKeyFingerprint).toMatch(/^SHA256:/);
    expect(ready.whep).toMatch(/^http:\/\/10\.231\.\d+\.\d+:8889$/);
    expect(ready.control).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(emu.hostKeyLine.split(' ')[0]).toBe(`[127.0.0.1]:${ready.ssh.port}`);

    const fresh = await createSshConsole();
    try {
      const endpoint = endpointFor(ready.ssh, identity(ready.ssh.identityFile));
      fresh.manager.connect(endpoint);
      const status = await fresh.manager.waitFor(endpoint.id, ['hostkey_unknown'], 20_000);
      expect(status.presentedKey?.fingerprint).toBe(ready.ssh.hostKeyFingerprint);
      expect(status.presentedKey?.keyType).toBe('ED25519');
    } finally {
      await fresh.close();
    }
  });

  it('logs in as linaro with passwordless sudo; the VPU debugfs file needs root', async () => {
    expect((await exec(sh`id -un; hostname; uname -rm`)).stdout).toBe(
      'linaro\nr58\n5.10.160-rockchip-rk3588 aarch64\n',
    );
    expect((await exec(sh`sudo -n true`)).code).toBe(0);
    const plain = await exec(sh`cat /sys/kernel/debug/mpp_service/session`);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/Permission denied/);
    const root = await exec(sh`sudo cat /sys/kernel/debug/mpp_service/session`);
    expect(root.code).toBe(0);
    expect((await exec(sh`cat /sys/firmware/devicetree/base/model | tr -d '\\000'`)).stdout).toMatch(
      /RK3588/,
    );
    expect((await exec(sh`git -C /opt/preke-r58-recorder log --oneline | wc -l`)).stdout.trim()).not.toBe(
      '0',
    );
  });

  it('counts one VPU session per running encoder: 4 cameras with the proven preset → 4', async () => {
    const n = await until('4 VPU sessions', async () => ((await sessions()) === 4 ? 4 : undefined), 60_000);
    expect(n).toBe(4);
    expect(
      await until(
        '4 cameras online',
        async () => ((await onlinePaths()).length >= 4 ? onlinePaths() : undefined),
        60_000,
      ),
    ).toEqual(['cam0', 'cam1', 'cam2', 'cam3']);
  }, 120_000);

  it('systemctl, journalctl and dmesg answer like the real ones', async () => {
    const show = await exec(
      sh`systemctl show -p ActiveState,SubState,MainPID,ActiveEnterTimestamp,NRestarts preke-recorder`,
    );
    const props = Object.fromEntries(
      show.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(/=(.*)/s).slice(0, 2)),
    );
    expect(props).toMatchObject({ ActiveState: 'active', SubState: 'running', NRestarts: '0' });
    expect(Number(props.MainPID)).toBeGreaterThan(1);
    expect(props.ActiveEnterTimestamp).toMatch(/^\w{3} \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \S+$/);

    const active = await exec(sh`systemctl is-active mediamtx preke-recorder`);
    expect([active.code, active.stdout]).toEqual([0, 'active\nactive\n']);
    const missing = await exec(sh`systemctl is-active r58-pipeline`);
    expect([missing.code, missing.stdout]).toEqual([3, 'inactive\n']);
    const status = await exec(sh`systemctl status preke-recorder`);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/Active: active \(running\) since/);
    expect((await exec(sh`systemctl status r58-pipeline`)).code).toBe(4);
    const denied = await exec(sh`systemctl restart preke-recorder`);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/Interactive authentication required/);

    const json = await exec(sh`journalctl -u mediamtx -o json -n 5 --no-pager`);
    const entries = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string>);
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) expect(e.__REALTIME_TIMESTAMP).toMatch(/^\d+$/);
    expect(entries.some((e) => e._SYSTEMD_UNIT === 'mediamtx.service' || e.UNIT === 'mediamtx.service')).toBe(
      true,
    );

    const dmesg = await exec(sh`dmesg`);
    expect([dmesg.code, dmesg.stderr]).toEqual([
      1,
      'dmesg: read kernel buffer failed: Operation not permitted\n',
    ]);
    const rooted = await exec(sh`sudo dmesg | head -1`);
    expect(rooted.stdout).toMatch(/^\[\s+\d+\.\d{6}\] Booting Linux/);
    const kernelJson = await exec(sh`journalctl -k -o json -n 1`);
    expect(JSON.parse(kernelJson.stdout) as Record<string, string>).toMatchObject({ _TRANSPORT: 'kernel' });
  });

  it('the panic config prints an Oops in sudo dmesg -w and kills that camera; a restart brings all back', async () => {
    await until('4 VPU sessions', async () => ((await sessions()) === 4 ? true : undefined), 60_000);
    let kernel = '';
    const follow = new AbortController();
    const watching = con.manager.exec(id, sh`sudo dmesg -w`, {
      signal: follow.signal,
      onStdout: (c) => (kernel += c.toString()),
    });
    watching.catch(() => undefined);
    await until('the dmesg backlog', async () => (kernel.includes('Booting Linux') ? true : undefined));
    const before = kernel.length;

    const edit = await exec(
      sh`sed -i ${PANIC_SED} /opt/preke-r58-recorder/config.yml && grep '^  cam0:' /opt/preke-r58-recorder/config.yml`,
    );
    expect(edit.stdout).toMatch(/mpph264enc, properties: \{ bps: 8000000, bps-max: 16000000 \}/);
    expect((await exec(sh`sudo systemctl restart preke-recorder`, 60_000)).code).toBe(0);

    await until('an Oops in dmesg -w', async () =>
      /Internal error: Oops/.test(kernel.slice(before)) ? true : undefined,
    );
    follow.abort();
    // Cancelling the console's exec ends the follow on the device too.
    await until('dmesg -w gone on the device', async () => {
      const r = await exec(sh`ps -eo args | grep -c '^curl .*cmd/dmesg' || true`);
      return r.stdout.trim() === '0' ? true : undefined;
    });
    const cam0 = await until('cam0 in error', async () => {
      const cams = await cameraStatus();
      return cams.cam0 === 'error' ? cams : undefined;
    });
    expect(cam0.cam1).toMatch(/streaming/);
    await until('3 VPU sessions', async () => ((await sessions()) === 3 ? true : undefined));
    expect(kernel.slice(before)).toMatch(/rkvenc/);

    expect((await exec(sh`git -C /opt/preke-r58-recorder checkout -- config.yml`)).code).toBe(0);
    expect((await exec(sh`sudo systemctl restart preke-recorder`, 60_000)).code).toBe(0);
    const online = await until(
      'all cameras back online',
      async () => {
        const paths = await onlinePaths();
        return ['cam0', 'cam1', 'cam2', 'cam3'].every((c) => paths.includes(c)) ? paths : undefined;
      },
      60_000,
    );
    expect(online).toEqual(expect.arrayContaining(['cam0', 'cam1', 'cam2', 'cam3']));
    await until('4 VPU sessions again', async () => ((await sessions()) === 4 ? true : undefined), 60_000);
    const ps = await exec(sh`ps -eo pid,stat,comm | awk '$2 ~ /^Z/' | wc -l`);
    expect(ps.stdout.trim()).toBe('0');
  }, 180_000);

  it('a wedged pipeline holds a stop until SIGKILL; its session goes with it', async () => {
    await until('4 VPU sessions', async () => ((await sessions()) === 4 ? true : undefined), 60_000);
    const wedge = await fetch(`${emu.ready.control}/wedge?camera=cam2`, { method: 'POST' });
    expect(wedge.status).toBe(200);
    expect((await exec(sh`sudo systemctl stop preke-recorder`, 60_000)).code).toBe(0);
    const show = await exec(sh`systemctl show -p ActiveState,Result preke-recorder`);
    expect(show.stdout).toBe('Result=timeout\nActiveState=failed\n');
    expect(await sessions()).toBe(0);
    const log = await exec(sh`journalctl -u preke-recorder -n 20`);
    expect(log.stdout).toMatch(/State 'stop-sigterm' timed out\. Killing\./);
    expect((await exec(sh`sudo systemctl start preke-recorder`, 60_000)).code).toBe(0);
    await until(
      '4 VPU sessions after start',
      async () => ((await sessions()) === 4 ? true : undefined),
      60_000,
    );
  }, 120_000);

  it('a recorder that dies restarts on its own (Restart=on-failure) and NRestarts counts it', async () => {
    const show = async (): Promise<Record<string, string>> => {
      const r = await exec(sh`systemctl show -p NRestarts,MainPID,ActiveState preke-recorder`);
      return Object.fromEntries(
        r.stdout
          .trim()
          .split('\n')
          .map((l) => l.split(/=(.*)/s).slice(0, 2)),
      );
    };
    const before = await show();
    const pid = Number(before.MainPID);
    expect(pid).toBeGreaterThan(1);
    expect((await exec(sh`sudo kill -9 ${pid}`)).code).toBe(0);
    const after = await until('an automatic restart', async () => {
      const now = await show();
      return now.ActiveState === 'active' && Number(now.NRestarts) === Number(before.NRestarts) + 1
        ? now
        : undefined;
    });
    expect(Number(after.MainPID)).not.toBe(pid);
    const log = await exec(sh`journalctl -u preke-recorder -n 20`);
    expect(log.stdout).toMatch(/Main process exited, code=killed, status=9\/KILL/);
    expect(log.stdout).toMatch(/Scheduled restart job, restart counter is at \d+\./);
    await until(
      '4 VPU sessions after the restart',
      async () => ((await sessions()) === 4 ? true : undefined),
      60_000,
    );
  }, 90_000);

  it('link down: keepalive notices and SSH comes back on link up', async () => {
    const downAt = Date.now();
    await emu.control.linkDown();
    const lost = await con.manager.waitFor(id, LOST, 30_000);
    console.info(`emulator: link down noticed after ${Date.now() - downAt} ms (${lost.detail})`);
    expect((await emu.control.state()).link).toBe('down');
    await emu.control.linkUp();
    await con.manager.waitFor(id, ['connected', 'degraded'], 30_000);
    expect((await exec(sh`echo back`)).stdout).toBe('back\n');
  }, 90_000);

  it('WHEP at the printed address plays a camera across the device link; link down stops the media', async () => {
    await until(
      'cam1 online',
      async () => ((await onlinePaths()).includes('cam1') ? true : undefined),
      60_000,
    );
    const h264 = new RTCRtpCodecParameters({
      mimeType: 'video/H264',
      clockRate: 90000,
      rtcpFeedback: [],
      parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
    });
    const pc = new RTCPeerConnection({ codecs: { video: [h264] } });
    try {
      pc.addTransceiver('video', { direction: 'recvonly' });
      let packets = 0;
      pc.onTrack.subscribe((track) => track.onReceiveRtp.subscribe(() => void packets++));
      await pc.setLocalDescription(await pc.createOffer());
      const res = await fetch(`${emu.ready.whep}/cam1/whep`, {
        method: 'POST',
        headers: { 'content-type': 'application/sdp' },
        body: pc.localDescription?.sdp,
      });
      expect(res.status).toBe(201);
      await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
      await until('RTP from cam1', async () => (packets > 0 ? true : undefined));
      await emu.control.linkDown();
      await new Promise((r) => setTimeout(r, 500));
      const before = packets;
      await new Promise((r) => setTimeout(r, 1500));
      expect(packets).toBe(before);
      await emu.control.linkUp();
    } finally {
      await emu.control.linkUp();
      await pc.close();
      // The console's SSH connection may have noticed the outage; let it come back before the next test.
      await con.manager.waitFor(id, ['connected', 'degraded'], 30_000);
    }
  }, 60_000);

  it('slow login: new SSH logins wait, open ones do not', async () => {
    await emu.control.slowLogin(1500);
    const other = await createSshConsole();
    try {
      await trustKnownHostsLine(other, emu.ready.ssh, emu.hostKeyLine);
      const endpoint = endpointFor(emu.ready.ssh, identity(emu.ready.ssh.identityFile));
      const started = Date.now();
      await connectAndWait(other, endpoint, 30_000);
      console.info(`emulator: login with slow-login 1500 ms took ${Date.now() - started} ms`);
      expect((await exec(sh`echo still-fast`)).stdout).toBe('still-fast\n');
    } finally {
      await emu.control.slowLogin(0);
      await other.close();
    }
  }, 60_000);

  it('the control server refuses bad input with 400 and a message, and unknown paths with 404', async () => {
    const post = async (path: string, body?: string) => {
      const res = await fetch(`${emu.ready.control}${path}`, { method: 'POST', body });
      return { status: res.status, body: (await res.json()) as { ok: boolean; error?: string } };
    };
    for (const path of [
      '/loss?percent=250',
      '/loss?percent=abc',
      '/loss',
      '/latency?ms=-1',
      '/latency?ms=1e3',
      '/slow-login?ms=',
      '/wedge?camera=cam9',
      '/wedge?camera=..%2Fetc',
    ]) {
      const r = await post(path);
      expect({ path, status: r.status, ok: r.body.ok }).toEqual({ path, status: 400, ok: false });
      expect(r.body.error).toBeTruthy();
    }
    expect((await post('/kernel', 'x'.repeat(200_000))).status).toBe(400);
    expect((await post('/kernel', '')).status).toBe(400);
    expect((await post('/nope')).status).toBe(404);
    expect((await fetch(`${emu.ready.control}/link/down`)).status).toBe(405);

    const appended = await post('/kernel', '<3>mpp_service: error: too many sessions\n');
    expect(appended).toMatchObject({ status: 200, body: { ok: true } });
    expect((await exec(sh`sudo dmesg | tail -1`)).stdout).toMatch(/mpp_service: error: too many sessions/);
    expect((await post('/loss?percent=30')).status).toBe(200);
    expect((await post('/latency?ms=50')).status).toBe(200);
    const faulty = (await (await fetch(`${emu.ready.control}/state`)).json()) as Record<string, unknown>;
    expect(faulty).toMatchObject({ lossPercent: 30, latencyMs: 50 });
    expect((await post('/loss?percent=0')).status).toBe(200);
    const latency = await post('/latency?ms=0');
    expect(latency.status).toBe(200);
    const state = (await (await fetch(`${emu.ready.control}/state`)).json()) as {
      link: string;
      device: object;
    };
    expect(state.link).toBe('up');
  });

  it('measures CPU for 4 cameras at 640x360@30 over 10 s', async () => {
    await until('4 VPU sessions', async () => ((await sessions()) === 4 ? true : undefined), 60_000);
    const cpu = await measureCpu(emu, 10);
    console.info(`emulator: CPU over 10 s with 4 cameras: ${cpu.total}% of one core (${cpu.byComm})`);
    expect(cpu.total).toBeGreaterThan(0);
  }, 60_000);

  it('runs beside a second copy (its own namespace, address and ports), and stop removes everything', async () => {
    const second = await startEmulator({ cameras: 1 });
    try {
      console.info(`emulator: a second copy was ready in ${second.startupMs} ms`);
      expect(second.device.netns).not.toBe(emu.device.netns);
      expect(second.device.address).not.toBe(emu.device.address);
      expect(second.ready.ssh.port).not.toBe(emu.ready.ssh.port);
      expect(second.ready.control).not.toBe(emu.ready.control);
      const ssh = await run('ssh', [
        '-o',
        'BatchMode=yes',
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-o',
        'LogLevel=ERROR',
        '-i',
        second.ready.ssh.identityFile,
        '-p',
        String(second.ready.ssh.port),
        `linaro@${second.ready.ssh.host}`,
        'systemctl is-active preke-recorder',
      ]);
      expect(ssh.stdout).toBe('active\n');
      expect((await exec(sh`systemctl is-active preke-recorder`)).stdout).toBe('active\n');
    } finally {
      await second.stop();
    }
    const { stdout } = await run('ip', ['netns', 'list']);
    expect(stdout).not.toContain(second.device.netns);
    expect(existsSync(second.device.stateDir)).toBe(false);
    expect(() => process.kill(second.device.pid, 0)).toThrow();
  }, 120_000);

  it('`tally emulator` prints one JSON line when ready and cleans up on SIGTERM', async () => {
    const child = spawn(process.execPath, ['bin/tally.mjs', 'emulator', '--cameras', '1'], {
      cwd: repoRoot(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const line = await new Promise<string>((resolve, reject) => {
      readline.createInterface({ input: child.stdout }).once('line', resolve);
      void exited.then(() => reject(new Error(`tally emulator exited before it was ready:\n${stderr}`)));
    });
    const ready = JSON.parse(line) as ReadyInfo;
    expect(Object.keys(ready)).toEqual(['ssh', 'whep', 'control', 'profile']);
    expect(Object.keys(ready.ssh)).toEqual(['host', 'port', 'user', 'identityFile', 'hostKeyFingerprint']);
    const state = (await (await fetch(`${ready.control}/state`)).json()) as { ok: boolean };
    expect(state.ok).toBe(true);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(ready.ssh.identityFile)).toBe(false);
    await expect(fetch(`${ready.control}/state`)).rejects.toThrow();
  }, 120_000);
});
