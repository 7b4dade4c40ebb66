import path from 'node:path';
import { z } from 'zod';
import { readJsonFile, removeStaleTempFiles, writeFileAtomic } from './atomic-file.js';

export const SCHEMA_VERSION = 1;

export const StoredAuth = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('agent') }),
  z.object({ kind: z.literal('identityFile'), path: z.string() }),
  z.object({ kind: z.literal('password') }),
]);
export type StoredAuth = z.infer<typeof StoredAuth>;

export const StoredDevice = z.object({
  id: z.string(),
  name: z.string(),
  host: z.string(),
  port: z.number(),
  user: z.string(),
  auth: StoredAuth,
  profile: z.string(),
  proxyJump: z.string().optional(),
  tags: z.array(z.string()).optional(),
  /** The producer last asked for this device to be connected: the console connects it again when it starts. */
  connect: z.boolean().optional(),
});
export type StoredDevice = z.infer<typeof StoredDevice>;

export const StoredHostKey = z.object({
  fingerprint: z.string(),
  keyType: z.string(),
  /** The raw public key blob, base64, as in known_hosts. */
  key: z.string(),
  addedAt: z.string(),
});
export type StoredHostKey = z.infer<typeof StoredHostKey>;

export const Settings = z.object({
  keepaliveIntervalMs: z.number().int().min(200).max(60_000).default(1000),
  keepaliveCountMax: z.number().int().min(1).max(20).default(3),
});
export type Settings = z.infer<typeof Settings>;

const StateFile = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  devices: z.array(StoredDevice),
  /** Keyed as known_hosts does: `host` for port 22, `[host]:port` otherwise. */
  knownHosts: z.record(z.string(), StoredHostKey),
  settings: Settings,
});
export type State = z.infer<typeof StateFile>;

function emptyState(): State {
  return { schemaVersion: SCHEMA_VERSION, devices: [], knownHosts: {}, settings: Settings.parse({}) };
}

export function hostKeyId(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Devices, known host keys and settings, in one versioned JSON file written atomically. */
export class StateStore {
  readonly file: string;
  private state: State = emptyState();
  private writing: Promise<void> = Promise.resolve();
  readonly problems: string[] = [];

  private constructor(readonly dataDir: string) {
    this.file = path.join(dataDir, 'state.json');
  }

  static async open(dataDir: string): Promise<StateStore> {
    const store = new StateStore(dataDir);
    // Leftovers of a write that was cut off; cleaning up never stops the store from opening.
    await removeStaleTempFiles(store.file).catch(() => []);
    const read = await readJsonFile(store.file, (raw) => {
      const version = (raw as { schemaVersion?: unknown } | null)?.schemaVersion;
      if (typeof version === 'number' && version > SCHEMA_VERSION)
        throw new Error(`written by a newer Tally (schema ${version}, this one reads ${SCHEMA_VERSION})`);
      return StateFile.parse(raw);
    });
    if (read.kind === 'ok') store.state = read.value;
    if (read.kind === 'corrupt')
      store.problems.push(
        `The saved state could not be read (${read.reason}). It was kept at ${read.keptAt}; Tally started with an empty device list.`,
      );
    return store;
  }

  get snapshot(): Readonly<State> {
    return this.state;
  }

  devices(): readonly StoredDevice[] {
    return this.state.devices;
  }

  device(id: string): StoredDevice | undefined {
    return this.state.devices.find((d) => d.id === id);
  }

  hostKey(host: string, port: number): StoredHostKey | undefined {
    return this.state.knownHosts[hostKeyId(host, port)];
  }

  settings(): Settings {
    return this.state.settings;
  }

  /** Apply a change and persist it. Writes are serialised so the file always holds the latest state. */
  async update(change: (draft: State) => void): Promise<void> {
    const draft = structuredClone(this.state);
    change(draft);
    this.state = StateFile.parse(draft);
    const text = `${JSON.stringify(this.state, null, 2)}\n`;
    const write = this.writing.then(() => writeFileAtomic(this.file, text));
    this.writing = write.catch(() => undefined);
    await write;
  }
}
