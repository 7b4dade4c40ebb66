import path from 'node:path';
import { Console } from './core/console.js';
import { MemorySecretStore } from './core/store/secrets.js';

/** What the demo needs from the emulator it starts (see emulator/index.ts). */
export interface DemoEmulator {
  ready: {
    ssh: { host: string; port: number; user: string; identityFile: string; hostKeyFingerprint: string };
    whep: string;
    control: string;
    profile: string;
  };
  /** `host ssh-ed25519 AAAA…`, a known_hosts line for the device's SSH address. */
  hostKeyLine: string;
  stop(): Promise<void>;
}

/** One box of an emulated fleet (emulator/fleet.ts), as the demo adds it. */
export interface DemoFleetBox {
  name: string;
  ready: DemoEmulator['ready'];
  hostKeyLine: string;
}

export const DEMO_DEVICE = 'demo-r58';

async function openDemoConsole(dataDir: string): Promise<Console> {
  return Console.open({
    dataDir,
    shell: 'web',
    secrets: new MemorySecretStore(),
    version: 'demo',
    knownHostsFiles: [],
  });
}

/** Add (or update) one emulated box under this name and trust the host key the emulator gave. */
async function addTrusted(
  core: Console,
  name: string,
  emu: Pick<DemoEmulator, 'ready' | 'hostKeyLine'>,
  tags: string[] = [],
): Promise<void> {
  const { ssh } = emu.ready;
  const input = {
    name,
    tags,
    host: ssh.host,
    port: ssh.port,
    user: ssh.user,
    auth: { kind: 'identityFile' as const, path: path.resolve(ssh.identityFile) },
    profile: emu.ready.profile,
  };
  const existing = core.store.devices().find((d) => d.name === name);
  const reply = existing
    ? await core.invoke('devices.update', { ...input, id: existing.id }, { owner: 'demo' })
    : await core.invoke('devices.add', input, { owner: 'demo' });
  if (!reply.ok) throw new Error(`Could not add ${name}: ${reply.error.message}`);
  const key = emu.hostKeyLine.trim().split(/\s+/)[2];
  if (!key) throw new Error(`The emulator gave no usable host key line for ${name}: ${emu.hostKeyLine}`);
  await core.trustKnownHostKey(ssh.host, ssh.port, key);
}

/**
 * Put the emulated device into the console's store as `demo-r58`, with its host key already trusted: the demo
 * started that emulator itself and read the key from it, so there is nothing for the user to compare.
 */
export async function seedDemoDevice(dataDir: string, emu: DemoEmulator): Promise<void> {
  const core = await openDemoConsole(dataDir);
  try {
    await addTrusted(core, DEMO_DEVICE, emu);
  } finally {
    await core.close();
  }
}

/**
 * Put every box of an emulated fleet into the console's store under its own name (box01, …), each host key trusted
 * as for the single demo device. A box of an earlier, larger fleet demo (box33 after a 32-box one) is removed, as
 * its emulator is gone; devices with other names are left alone.
 */
export async function seedFleetDevices(dataDir: string, boxes: readonly DemoFleetBox[]): Promise<void> {
  const core = await openDemoConsole(dataDir);
  try {
    const names = new Set(boxes.map((b) => b.name));
    for (const device of core.store.devices())
      if (/^box\d{2}$/.test(device.name) && !names.has(device.name)) {
        const reply = await core.invoke('devices.remove', { id: device.id }, { owner: 'demo' });
        if (!reply.ok) throw new Error(`Could not remove ${device.name}: ${reply.error.message}`);
      }
    // Two rooms, so the fleet view's tag filter and grouping have something to show.
    for (const [i, box] of boxes.entries())
      await addTrusted(core, box.name, box, [i < boxes.length / 2 ? 'room-a' : 'room-b']);
  } finally {
    await core.close();
  }
}

/**
 * Put the boxes of the mixed demo (one of each kind) into the console's store as `demo-<kind>`, each with its
 * kind's profile and a tag naming the kind, host keys trusted. Returns the names added.
 */
export async function seedMixedDevices(dataDir: string, boxes: readonly DemoFleetBox[]): Promise<string[]> {
  const core = await openDemoConsole(dataDir);
  const names: string[] = [];
  try {
    for (const box of boxes) {
      const name = `demo-${box.ready.profile}`;
      await addTrusted(core, name, box, [box.ready.profile]);
      names.push(name);
    }
  } finally {
    await core.close();
  }
  return names;
}
