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

export const DEMO_DEVICE = 'demo-r58';

/**
 * Put the emulated device into the console's store as `demo-r58`, with its host key already trusted: the demo
 * started that emulator itself and read the key from it, so there is nothing for the user to compare.
 */
export async function seedDemoDevice(dataDir: string, emu: DemoEmulator): Promise<void> {
  const core = await Console.open({
    dataDir,
    shell: 'web',
    secrets: new MemorySecretStore(),
    version: 'demo',
    knownHostsFiles: [],
  });
  try {
    const { ssh } = emu.ready;
    const input = {
      name: DEMO_DEVICE,
      host: ssh.host,
      port: ssh.port,
      user: ssh.user,
      auth: { kind: 'identityFile' as const, path: path.resolve(ssh.identityFile) },
      profile: emu.ready.profile,
    };
    const existing = core.store.devices().find((d) => d.name === DEMO_DEVICE);
    const reply = existing
      ? await core.invoke('devices.update', { ...input, id: existing.id }, { owner: 'demo' })
      : await core.invoke('devices.add', input, { owner: 'demo' });
    if (!reply.ok) throw new Error(`Could not add ${DEMO_DEVICE}: ${reply.error.message}`);
    const key = emu.hostKeyLine.trim().split(/\s+/)[2];
    if (!key) throw new Error(`The emulator gave no usable host key line: ${emu.hostKeyLine}`);
    await core.trustKnownHostKey(ssh.host, ssh.port, key);
  } finally {
    await core.close();
  }
}
