import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Console } from '../../src-main/core/console.js';
import { MemorySecretStore } from '../../src-main/core/store/secrets.js';

let core: Console;

const openCore = () =>
  Console.open({
    dataDir,
    shell: 'web',
    secrets: new MemorySecretStore(),
    version: 'test',
    knownHostsFiles: [],
  });
let dataDir: string;
const ctx = { owner: 'test' };

beforeEach(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'tally-tags-'));
  core = await openCore();
});
afterEach(() => core.close());

const device = { name: 'hall-1', host: '192.168.1.24', user: 'linaro', auth: { kind: 'agent' } };

async function add(input: Record<string, unknown>): Promise<{ id: string; tags: string[] }> {
  const r = await core.invoke('devices.add', input, ctx);
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.result as { id: string; tags: string[] };
}

describe('device tags', () => {
  it('are kept with the device, once each whatever the case, and survive a restart', async () => {
    const added = await add({ ...device, tags: ['Room A', 'venue-north', 'room a'] });
    expect(added.tags).toEqual(['Room A', 'venue-north']);
    core.close();
    core = await openCore();
    const list = await core.invoke('devices.list', {}, ctx);
    expect(list.ok && (list.result as { tags: string[] }[])[0]?.tags).toEqual(['Room A', 'venue-north']);
  });

  it('default to none, and a device without tags lists an empty array', async () => {
    expect((await add(device)).tags).toEqual([]);
  });

  it('refuse what a producer could not filter by, saying why', async () => {
    const bad = await core.invoke('devices.add', { ...device, tags: ['$(reboot)'] }, ctx);
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(JSON.stringify(bad)).toMatch(/letters, digits/);
    const many = await core.invoke(
      'devices.add',
      { ...device, tags: Array.from({ length: 9 }, (_, i) => `t${i}`) },
      ctx,
    );
    expect(JSON.stringify(many)).toMatch(/at most 8 tags/);
  });

  it('change without a reconnect: retagging is not a new address', async () => {
    const added = await add({ ...device, tags: ['room-a'] });
    const events: string[] = [];
    core.onEvent((name, payload) => {
      if (name === 'device.status') events.push((payload as { status: { state: string } }).status.state);
    });
    const r = await core.invoke('devices.update', { ...device, id: added.id, tags: ['room-b'] }, ctx);
    expect(r.ok && (r.result as { tags: string[] }).tags).toEqual(['room-b']);
    expect(events).toEqual([]);
  });

  it('come from the wildcard Host patterns of ~/.ssh/config that match an imported host', async () => {
    const file = path.join(dataDir, 'ssh_config');
    writeFileSync(
      file,
      [
        'Host hall-1 hall-2 foyer',
        '  User linaro',
        'Host hall-*',
        '  IdentityFile ~/.ssh/venue',
        'Host *.north !foyer',
        '  Port 2222',
        'Host foyer hall-2',
        '  HostName 10.0.0.9',
        'Host *',
        '  ServerAliveInterval 5',
      ].join('\n'),
    );
    const r = await core.invoke('devices.importSshConfig', { path: file }, ctx);
    const { candidates } = (r.ok ? r.result : { candidates: [] }) as {
      candidates: { alias: string; tags?: string[] }[];
    };
    expect(candidates.find((c) => c.alias === 'hall-1')?.tags).toEqual(['hall']);
    // `*` alone groups nothing, and a negated pattern keeps its Host block away from that alias.
    expect(candidates.find((c) => c.alias === 'foyer')?.tags).toBeUndefined();
  });
});

describe('bulk actions', () => {
  it('Connect all starts every device that is not connected, and again one the producer disconnected', async () => {
    const a = await add({ ...device, name: 'a', host: '127.0.0.1', port: 1 });
    const b = await add({ ...device, name: 'b', host: '127.0.0.1', port: 2 });
    const r = await core.invoke('devices.connectAll', {}, ctx);
    expect(r.ok && (r.result as { started: string[] }).started.sort()).toEqual([a.id, b.id].sort());
    await core.invoke('devices.disconnect', { id: b.id }, ctx);
    const again = await core.invoke('devices.connectAll', {}, ctx);
    const started = again.ok ? (again.result as { started: string[] }).started : [];
    expect(started).toContain(b.id);
    await core.invoke('devices.disconnect', { id: a.id }, ctx);
    await core.invoke('devices.disconnect', { id: b.id }, ctx);
  });

  it('Acknowledge all for a device answers not_found for a device that is gone', async () => {
    const r = await core.invoke('alarms.acknowledgeDevice', { deviceId: 'gone' }, ctx);
    expect(r).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });
});

describe('connecting again at start', () => {
  it('connects what the producer left connected, and not what they disconnected', async () => {
    const a = await add({ ...device, name: 'a', host: '127.0.0.1', port: 1 });
    const b = await add({ ...device, name: 'b', host: '127.0.0.1', port: 2 });
    await core.invoke('devices.connectAll', {}, ctx);
    await add({ ...device, name: 'added-later', host: '127.0.0.1', port: 3 });
    await core.invoke('devices.disconnect', { id: b.id }, ctx);
    // A retag keeps the wish.
    await core.invoke(
      'devices.update',
      { ...device, name: 'a', host: '127.0.0.1', port: 1, id: a.id, tags: ['x'] },
      ctx,
    );
    await core.close();
    core = await openCore();
    expect(core.resumeConnections()).toEqual([a.id]);
  });
});
