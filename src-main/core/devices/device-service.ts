import { randomUUID } from 'node:crypto';
import {
  ContractError,
  type AuthView,
  type CommandParsedInput,
  type DeviceView,
} from '../../contract/index.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';
import type { Endpoint, ResolvedAuth, SshTarget } from '../ssh/types.js';
import { secretKey, type SecretStore } from '../store/secrets.js';
import type { StateStore, StoredAuth, StoredDevice } from '../store/state-store.js';

type AddInput = CommandParsedInput<'devices.add'>;

/** `user@host:port` (ssh -J) to its parts. */
export function parseJump(spec: string, fallbackUser: string): { user: string; host: string; port: number } {
  const at = spec.lastIndexOf('@');
  const user = at >= 0 ? spec.slice(0, at) : fallbackUser;
  let rest = at >= 0 ? spec.slice(at + 1) : spec;
  let port = 22;
  const bracket = /^\[(.+)\](?::(\d+))?$/.exec(rest);
  if (bracket) {
    rest = bracket[1] ?? rest;
    if (bracket[2]) port = Number(bracket[2]);
  } else if (/^[^:]+:\d+$/.test(rest)) {
    const [h, p] = rest.split(':');
    rest = h ?? rest;
    port = Number(p);
  }
  return { user, host: rest, port };
}

/** Devices as configured: the store holds the settings, the secret store the passwords and passphrases. */
export class DeviceService {
  constructor(
    private readonly store: StateStore,
    private readonly secrets: SecretStore,
    private readonly connections: ConnectionManager,
    private readonly agentSocket: string | undefined,
  ) {}

  get(id: string): StoredDevice {
    const device = this.store.device(id);
    if (!device)
      throw new ContractError(
        'not_found',
        'That device no longer exists. It may have been removed in another window.',
      );
    return device;
  }

  async view(device: StoredDevice): Promise<DeviceView> {
    let auth: AuthView;
    if (device.auth.kind === 'identityFile')
      auth = {
        kind: 'identityFile',
        path: device.auth.path,
        hasPassphrase: (await this.secrets.get(secretKey.passphrase(device.id))) !== undefined,
      };
    else if (device.auth.kind === 'password')
      auth = {
        kind: 'password',
        hasPassword: (await this.secrets.get(secretKey.password(device.id))) !== undefined,
      };
    else auth = { kind: 'agent' };
    const key = this.store.hostKey(device.host, device.port);
    return {
      id: device.id,
      name: device.name,
      host: device.host,
      port: device.port,
      user: device.user,
      auth,
      profile: device.profile,
      ...(device.proxyJump ? { proxyJump: device.proxyJump } : {}),
      tags: device.tags ?? [],
      ...(key ? { trustedKey: { fingerprint: key.fingerprint, keyType: key.keyType } } : {}),
      status: this.connections.status(device.id),
    };
  }

  async list(): Promise<DeviceView[]> {
    return Promise.all(this.store.devices().map((d) => this.view(d)));
  }

  private checkUniqueName(name: string, exceptId?: string): void {
    const clash = this.store
      .devices()
      .find((d) => d.name.toLowerCase() === name.toLowerCase() && d.id !== exceptId);
    if (clash)
      throw new ContractError('conflict', `A device named “${name}” already exists.`, {
        name: 'A device with this name already exists. Choose another name.',
      });
  }

  private async saveSecrets(id: string, auth: AddInput['auth']): Promise<void> {
    if (auth.kind === 'password' && auth.password !== undefined)
      await this.secrets.set(secretKey.password(id), auth.password);
    if (auth.kind === 'identityFile' && auth.passphrase !== undefined) {
      if (auth.passphrase === '') await this.secrets.delete(secretKey.passphrase(id));
      else await this.secrets.set(secretKey.passphrase(id), auth.passphrase);
    }
    if (auth.kind !== 'password') await this.secrets.delete(secretKey.password(id));
    if (auth.kind !== 'identityFile') await this.secrets.delete(secretKey.passphrase(id));
  }

  private stored(id: string, input: AddInput): StoredDevice {
    const auth: StoredAuth =
      input.auth.kind === 'identityFile'
        ? { kind: 'identityFile', path: input.auth.path }
        : { kind: input.auth.kind };
    return {
      id,
      name: input.name,
      host: input.host,
      port: input.port,
      user: input.user,
      auth,
      profile: input.profile,
      ...(input.proxyJump ? { proxyJump: input.proxyJump } : {}),
      ...(input.tags.length > 0 ? { tags: input.tags } : {}),
    };
  }

  async add(input: AddInput): Promise<StoredDevice> {
    this.checkUniqueName(input.name);
    const device = this.stored(randomUUID(), input);
    await this.saveSecrets(device.id, input.auth);
    await this.store.update((draft) => {
      draft.devices.push(device);
    });
    return device;
  }

  /** Returns the device and whether its connection settings changed (so the caller can reconnect). */
  async update(id: string, input: AddInput): Promise<{ device: StoredDevice; reachChanged: boolean }> {
    const before = this.get(id);
    this.checkUniqueName(input.name, id);
    const device = { ...this.stored(id, input), ...(before.connect ? { connect: true } : {}) };
    await this.saveSecrets(id, input.auth);
    await this.store.update((draft) => {
      draft.devices = draft.devices.map((d) => (d.id === id ? device : d));
    });
    // A rename keeps the connection; a new address, user, key or secret needs a fresh login.
    const secretGiven =
      (input.auth.kind === 'password' && input.auth.password !== undefined) ||
      (input.auth.kind === 'identityFile' && input.auth.passphrase !== undefined);
    const reach = (d: StoredDevice) => JSON.stringify({ ...d, name: '', tags: [] });
    const reachChanged = secretGiven || reach(before) !== reach(device);
    return { device, reachChanged };
  }

  /** Give a device another profile (a device set to `auto`, once its kind is found). */
  async setProfile(id: string, profile: string): Promise<StoredDevice> {
    this.get(id);
    await this.store.update((draft) => {
      draft.devices = draft.devices.map((d) => (d.id === id ? { ...d, profile } : d));
    });
    return this.get(id);
  }

  /** Remember whether the producer wants this device connected, for the next start of the console. */
  async setWanted(ids: readonly string[], connect: boolean): Promise<void> {
    const wanted = new Set(ids);
    if (!this.store.devices().some((d) => wanted.has(d.id) && (d.connect ?? false) !== connect)) return;
    await this.store.update((draft) => {
      draft.devices = draft.devices.map((d) => (wanted.has(d.id) ? { ...d, connect } : d));
    });
  }

  async remove(id: string): Promise<StoredDevice> {
    const device = this.get(id);
    await this.connections.drop(id);
    await this.secrets.delete(secretKey.password(id));
    await this.secrets.delete(secretKey.passphrase(id));
    await this.store.update((draft) => {
      draft.devices = draft.devices.filter((d) => d.id !== id);
    });
    return device;
  }

  private async resolveAuth(device: StoredDevice): Promise<ResolvedAuth> {
    switch (device.auth.kind) {
      case 'agent':
        return { kind: 'agent', socket: this.agentSocket };
      case 'password':
        return { kind: 'password', password: await this.secrets.get(secretKey.password(device.id)) };
      case 'identityFile':
        return {
          kind: 'identityFile',
          path: device.auth.path,
          passphrase: await this.secrets.get(secretKey.passphrase(device.id)),
        };
    }
  }

  endpoint(id: string): Endpoint {
    return {
      id,
      name: this.get(id).name,
      target: async (): Promise<SshTarget> => {
        const device = this.get(id);
        const auth = await this.resolveAuth(device);
        const target: SshTarget = { host: device.host, port: device.port, user: device.user, auth };
        if (device.proxyJump) {
          const jump = parseJump(device.proxyJump, device.user);
          // The jump hop authenticates with the agent when one runs, else with the device's own key or password.
          const jumpAuth: ResolvedAuth = this.agentSocket
            ? { kind: 'agent', socket: this.agentSocket }
            : auth;
          target.jump = { ...jump, auth: jumpAuth };
        }
        return target;
      },
    };
  }
}
