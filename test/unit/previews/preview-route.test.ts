// The route decision with a stand-in SSH connection: what the device answers is scripted, the WHEP port is a real
// loopback listener (or a closed one), and forwards are counted.
import net from 'node:net';
import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceStatus } from '../../../src-main/contract/index.js';
import { loadProfile } from '../../../src-main/core/device/profile.js';
import { ICE_TCP_HINT } from '../../../src-main/core/previews/mediamtx-config.js';
import { PreviewService } from '../../../src-main/core/previews/preview-service.js';
import type { ConnectionManager, LocalForward } from '../../../src-main/core/ssh/connection-manager.js';

function section(name: string, text: string): string {
  return `@@tally-section ${name}\n${text}\n@@tally-rc 0\n`;
}

interface Fake {
  connections: ConnectionManager;
  forwards: { host: string; port: number; closed: boolean }[];
  status(s: DeviceStatus['state']): void;
}

function fakeConnections(device: { addrs: string; config: unknown }): Fake {
  const listeners = new Set<(id: string, status: DeviceStatus) => void>();
  const forwards: Fake['forwards'] = [];
  const paths = { items: [{ name: 'cam0', online: true, tracks: ['H264'], readers: [] }] };
  const fake = {
    onStatus: (l: (id: string, status: DeviceStatus) => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    exec: async () => ({
      stdout:
        section('paths', `${JSON.stringify(paths)}\n@@http 200`) +
        section('config', `${JSON.stringify(device.config)}\n@@http 200`) +
        section('addrs', device.addrs),
      stderr: '',
      code: 0,
    }),
    forwardLocal: async (_id: string, host: string, port: number): Promise<LocalForward> => {
      const entry = { host, port, closed: false };
      forwards.push(entry);
      return {
        localPort: 40000 + forwards.length,
        close: async () => {
          entry.closed = true;
        },
      };
    },
  };
  return {
    connections: fake as unknown as ConnectionManager,
    forwards,
    status: (state) => listeners.forEach((l) => l('d1', { state, detail: '', since: Date.now() })),
  };
}

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** This machine's first non-loopback IPv4 address: stands for the device's address in these tests. */
const lan = Object.values(os.networkInterfaces())
  .flat()
  .find((i) => i?.family === 'IPv4' && !i.internal)?.address;

/** A profile whose WHEP port is a live listener on `lan` (or a port that was just closed). */
async function profileWithWhep(open: boolean): Promise<ReturnType<typeof loadProfile>> {
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, lan ?? '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  if (open) servers.push(server);
  else await new Promise((r) => server.close(r));
  const base = loadProfile('r58');
  return { ...base, mediamtx: { ...base.mediamtx, whepPort: port } };
}

function service(fake: Fake, host: string, profile: ReturnType<typeof loadProfile>): PreviewService {
  return new PreviewService({
    connections: fake.connections,
    hostOf: () => host,
    profileOf: () => profile,
    probeTimeoutMs: 300,
  });
}

describe('preview route', () => {
  it.skipIf(!lan)('direct when the stored host answers on the WHEP port; no forwards', async () => {
    const fake = fakeConnections({ addrs: '', config: { webrtcLocalTCPAddress: ':8189' } });
    const profile = await profileWithWhep(true);
    const s = service(fake, lan ?? '', profile);
    const l = await s.list('d1');
    expect(l.reach).toMatchObject({ route: 'direct', iceTcp: true });
    expect(l.reach.detail).toContain(`Direct to ${lan}:${profile.mediamtx.whepPort}`);
    expect(await s.whepUpstream('d1')).toEqual({
      route: 'direct',
      host: lan,
      port: profile.mediamtx.whepPort,
    });
    expect(fake.forwards).toEqual([]);
    await s.close();
  });

  it.skipIf(!lan)(
    'behind a loopback SSH host, the address the device reports for itself is tried',
    async () => {
      const fake = fakeConnections({
        addrs: `${lan} 169.254.1.1`,
        config: { webrtcLocalTCPAddress: ':8189' },
      });
      const s = service(fake, '127.0.0.1', await profileWithWhep(true));
      expect((await s.list('d1')).reach).toMatchObject({ route: 'direct' });
      // Forced through SSH all the same.
      expect((await s.list('d1', 'tunnel')).reach.route).toBe('tunnel');
      await s.close();
    },
  );

  it.skipIf(!lan)('the WHEP port MediaMTX reports (webrtcAddress) wins over the profile’s', async () => {
    const profile = await profileWithWhep(true);
    const moved = { ...profile, mediamtx: { ...profile.mediamtx, whepPort: 1 } };
    const fake = fakeConnections({
      addrs: '',
      config: { webrtcLocalTCPAddress: ':8189', webrtcAddress: `:${profile.mediamtx.whepPort}` },
    });
    const s = service(fake, lan ?? '', moved);
    expect((await s.list('d1')).reach.route).toBe('direct');
    expect(await s.whepUpstream('d1')).toEqual({
      route: 'direct',
      host: lan,
      port: profile.mediamtx.whepPort,
    });
    await s.close();
  });

  it('nothing to try directly: the tunnel, and the detail says why', async () => {
    const fake = fakeConnections({ addrs: '', config: { webrtcLocalTCPAddress: ':8189' } });
    const s = service(fake, 'localhost', await profileWithWhep(false));
    const l = await s.list('d1');
    expect(l.reach.route).toBe('tunnel');
    expect(l.reach.detail).toMatch(/^The device reports no address of its own to try directly; through SSH/);
    await s.close();
  });

  it.skipIf(!lan)('a closed WHEP port: the tunnel, naming the address and the error', async () => {
    const fake = fakeConnections({ addrs: '', config: { webrtcLocalTCPAddress: ':8189' } });
    const profile = await profileWithWhep(false);
    const s = service(fake, lan ?? '', profile);
    const l = await s.list('d1');
    expect(l.reach.route).toBe('tunnel');
    expect(l.reach.detail).toContain(`Direct to ${lan}:${profile.mediamtx.whepPort} (ECONNREFUSED) failed`);
    await s.close();
  });

  it('tunnel: signalling and ICE-TCP forwards, the detail names both, closed when the device disconnects', async () => {
    const fake = fakeConnections({ addrs: '', config: { webrtcLocalTCPAddress: ':8189' } });
    const profile = await profileWithWhep(false);
    const s = service(fake, '127.0.0.1', profile);
    const l = await s.list('d1', 'tunnel');
    expect(l.reach).toMatchObject({ route: 'tunnel', iceTcp: true, iceTcpHint: null });
    expect(l.reach.detail).toContain(`→ device 127.0.0.1:${profile.mediamtx.whepPort}`);
    expect(l.reach.detail).toContain('media over ICE-TCP on 127.0.0.1:40002 → device 127.0.0.1:8189');
    expect(await s.whepUpstream('d1')).toEqual({ route: 'tunnel', host: '127.0.0.1', port: 40001 });
    expect(await s.iceTcpForward('d1', 8189)).toBe(40002);
    expect(fake.forwards.map((f) => `${f.host}:${f.port}`)).toEqual([
      `127.0.0.1:${profile.mediamtx.whepPort}`,
      '127.0.0.1:8189',
    ]);
    fake.status('connected');
    fake.status('disconnected');
    await new Promise((r) => setTimeout(r, 10));
    expect(fake.forwards.every((f) => f.closed)).toBe(true);
    await s.close();
  });

  it('ICE-TCP off: the tunnel says no media can pass and names the setting', async () => {
    const fake = fakeConnections({ addrs: '', config: { webrtcLocalTCPAddress: '' } });
    const s = service(fake, '127.0.0.1', await profileWithWhep(false));
    const l = await s.list('d1');
    expect(l.reach).toMatchObject({ route: 'tunnel', iceTcp: false, iceTcpHint: ICE_TCP_HINT });
    expect(l.reach.detail).toContain('offers no ICE-TCP');
    expect(l.reach.detail).toContain(ICE_TCP_HINT);
    await s.close();
  });
});
