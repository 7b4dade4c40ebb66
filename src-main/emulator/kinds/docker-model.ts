/**
 * The Docker engine of the emulated transcoder box, as far as seed 003's one container needs it: three images
 * (`xg2g-gpu-transcoder:production`, `:previous`, `:broken`), tags that move (`docker tag`), and the container
 * `xg2g-transcoder` from the compose file, with restart policy `unless-stopped`, run as a supervised process
 * (device/units.ts with `restart: 'always'`) whose output is the container's log. The `docker` command on the box
 * (docker-cli.ts) reads and drives this.
 *
 * Docker semantics kept: `RestartCount` counts the policy's restarts and a manual start or restart sets it back to 0;
 * a stopped container stays stopped; `compose up --force-recreate` replaces the container (new id, new log, count 0)
 * from whatever image the compose file's tag names now; a container whose tag moved away shows its image id in `ps`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import { Journal, type JournalEntry } from '../device/journal.js';
import { Unit, type UnitSpec } from '../device/units.js';
import { TRANSCODER } from './kinds.js';

export type ImageVariant = 'good' | 'broken';

export interface DockerImage {
  /** `sha256:<64 hex>`. */
  id: string;
  /** `repository:tag`; empty for a dangling image. */
  tags: string[];
  createdMs: number;
  sizeBytes: number;
  version: string;
  variant: ImageVariant;
}

export interface DockerContainer {
  id: string;
  name: string;
  imageId: string;
  /** What it was created from (`Config.Image`), e.g. `xg2g-gpu-transcoder:production`. */
  imageRef: string;
  createdMs: number;
  unit: Unit;
  /** `unit.nRestarts` at the last manual start: RestartCount is the policy's restarts since then. */
  restartBase: number;
  /** Started at least once (a container that never ran is `created`). */
  everStarted: boolean;
  /** Ended followers when the container stops or goes away (`docker logs -f` ends then). */
  followers: Set<() => void>;
}

export interface DockerModelOptions {
  /** The container's program and its environment. */
  program: string;
  env: Record<string, string>;
  stopTimeoutMs: number;
  /** Delay before the restart policy starts a container again (Docker starts at 100 ms and doubles). */
  restartDelayMs: number;
  /** Where the container's program reads its fault files. */
  faultsDir: string;
  gpuFile: string;
  hostname: string;
}

const DAY_MS = 86_400_000;

function imageId(seed: string): string {
  return `sha256:${createHash('sha256').update(`xg2g-emulated-image:${seed}`).digest('hex')}`;
}

/** The three images of the fixed facts: production (good), previous (good, older), broken (no VAAPI). */
export function initialImages(now = Date.now()): DockerImage[] {
  return [
    {
      id: imageId('1.4.2'),
      tags: [`${TRANSCODER.repository}:production`],
      createdMs: now - 3 * DAY_MS,
      sizeBytes: 412_300_000,
      version: '1.4.2',
      variant: 'good',
    },
    {
      id: imageId('1.3.7'),
      tags: [`${TRANSCODER.repository}:previous`],
      createdMs: now - 17 * DAY_MS,
      sizeBytes: 405_900_000,
      version: '1.3.7',
      variant: 'good',
    },
    {
      id: imageId('1.5.0-rc1'),
      tags: [`${TRANSCODER.repository}:broken`],
      createdMs: now - 1 * DAY_MS,
      sizeBytes: 418_700_000,
      version: '1.5.0-rc1',
      variant: 'broken',
    },
  ];
}

/** `name` → `name:latest`; `name:tag` stays. */
export function normalizeRef(ref: string): string {
  const slash = ref.lastIndexOf('/');
  return ref.slice(slash + 1).includes(':') ? ref : `${ref}:latest`;
}

/** The compose file of the box (its `image:` line is what `up --force-recreate` reads). */
export function composeFileText(): string {
  return [
    '# xg2g GPU transcoder, minimal deployment (host network, /dev/dri passed through)',
    'services:',
    `  ${TRANSCODER.composeService}:`,
    `    image: ${TRANSCODER.image}`,
    `    container_name: ${TRANSCODER.container}`,
    '    network_mode: host',
    '    restart: unless-stopped',
    '    stdin_open: true',
    '    tty: true',
    '    devices:',
    '      - /dev/dri:/dev/dri',
    '    environment:',
    `      - XG2G_LISTEN=127.0.0.1:${TRANSCODER.httpPort}`,
    '      - RUST_LOG=info',
    '',
  ].join('\n');
}

/** The `image:` of the service in a compose file, or undefined. */
export function composeImage(text: string, service: string): string | undefined {
  const lines = text.split('\n');
  let inService = false;
  for (const line of lines) {
    if (/^\S/.test(line)) inService = false;
    const head = /^ {2}([A-Za-z0-9_.-]+):\s*$/.exec(line);
    if (head) inService = head[1] === service;
    const image = /^ {4}image:\s*["']?([^"'\s#]+)/.exec(line);
    if (inService && image) return image[1];
  }
  return undefined;
}

export class DockerModel {
  readonly images: DockerImage[] = initialImages();
  /** The container's output, apart from the box's journal (it is not a systemd unit). */
  readonly logs: Journal;
  container: DockerContainer | undefined;
  private shuttingDown = false;

  constructor(private readonly opts: DockerModelOptions) {
    this.logs = new Journal({ hostname: opts.hostname, bootTimeMs: Date.now() });
  }

  /** Image by `name[:tag]`, full or short id (with or without `sha256:`). */
  findImage(ref: string): DockerImage | undefined {
    const bare = ref.replace(/^sha256:/, '');
    if (/^[0-9a-f]{4,64}$/.test(bare)) {
      const byId = this.images.filter((i) => i.id.slice(7).startsWith(bare));
      if (byId.length === 1) return byId[0];
    }
    const full = normalizeRef(ref);
    return this.images.find((i) => i.tags.includes(full));
  }

  /** Point `target` at `image`, taking it off any other image (which may become dangling). */
  tag(image: DockerImage, target: string): void {
    const full = normalizeRef(target);
    for (const other of this.images) other.tags = other.tags.filter((t) => t !== full);
    image.tags.push(full);
  }

  findContainer(ref: string): DockerContainer | undefined {
    const c = this.container;
    if (!c) return undefined;
    if (ref === c.name || ref === `/${c.name}`) return c;
    if (/^[0-9a-f]{3,64}$/.test(ref) && c.id.startsWith(ref)) return c;
    return undefined;
  }

  restartCount(c: DockerContainer): number {
    return c.unit.nRestarts - c.restartBase;
  }

  /** Create the container from the compose file's image and start it (the box's boot: `restart: unless-stopped`). */
  async boot(): Promise<void> {
    const text = readFileSync(TRANSCODER.composeFile, 'utf8');
    const ref = composeImage(text, TRANSCODER.composeService) ?? TRANSCODER.image;
    const image = this.findImage(ref);
    if (!image) throw new Error(`the compose file names ${ref}, which is not among the box's images`);
    this.create(image, ref);
    await this.start();
  }

  create(image: DockerImage, ref: string): DockerContainer {
    const spec: UnitSpec = {
      name: `docker-${randomBytes(6).toString('hex')}`,
      description: `container ${TRANSCODER.container}`,
      exec: [
        '/usr/bin/python3',
        '-S',
        this.opts.program,
        '--version',
        image.version,
        '--variant',
        image.variant,
        '--port',
        String(TRANSCODER.httpPort),
        '--faults',
        this.opts.faultsDir,
        '--gpu-file',
        this.opts.gpuFile,
      ],
      env: this.opts.env,
      cwd: '/',
      identifier: TRANSCODER.container,
      killMode: 'control-group',
      restart: 'always',
      restartDelayMs: this.opts.restartDelayMs,
      stopTimeoutMs: this.opts.stopTimeoutMs,
      fragmentPath: '',
    };
    const unit = new Unit(spec, this.logs);
    const container: DockerContainer = {
      id: randomBytes(32).toString('hex'),
      name: TRANSCODER.container,
      imageId: image.id,
      imageRef: ref,
      createdMs: Date.now(),
      unit,
      restartBase: 0,
      everStarted: false,
      followers: new Set(),
    };
    unit.onChange(() => {
      if (!this.running(container)) void this.idleGpu();
    });
    this.container = container;
    return container;
  }

  /** `docker start`: a manual start, so the restart count starts again from 0. */
  async start(): Promise<void> {
    const c = this.container;
    if (!c || this.running(c)) return;
    c.restartBase = c.unit.nRestarts;
    c.everStarted = true;
    await c.unit.start();
  }

  async stop(): Promise<void> {
    const c = this.container;
    if (!c) return;
    await c.unit.stop();
    this.endFollowers(c);
  }

  async restart(): Promise<void> {
    const c = this.container;
    if (!c) return;
    await c.unit.stop();
    c.restartBase = c.unit.nRestarts;
    c.everStarted = true;
    await c.unit.start();
  }

  /** `compose up -d --force-recreate`: stop and remove the container, create a new one from `ref` now, start it. */
  async recreate(image: DockerImage, ref: string): Promise<void> {
    const old = this.container;
    if (old) {
      await old.unit.stop();
      this.endFollowers(old);
    }
    this.create(image, ref);
    await this.start();
  }

  /** The emulator's /crash: the container's process exits 1 (it does so on SIGUSR1), the policy restarts it. */
  crash(): { pid: number } | undefined {
    const c = this.container;
    const pid = c?.unit.mainPid ?? 0;
    if (!c || pid === 0 || c.unit.activeState !== 'active') return undefined;
    try {
      process.kill(pid, 'SIGUSR1');
    } catch {
      return undefined;
    }
    return { pid };
  }

  running(c: DockerContainer): boolean {
    const { activeState, subState } = c.unit;
    return (
      activeState === 'active' ||
      activeState === 'deactivating' ||
      (activeState === 'activating' && subState !== 'auto-restart')
    );
  }

  restarting(c: DockerContainer): boolean {
    return c.unit.activeState === 'activating' && c.unit.subState === 'auto-restart';
  }

  /** Log entries of this container (its program's output), oldest first. */
  entries(c: DockerContainer): JournalEntry[] {
    return this.logs.entries().filter((e) => this.isContainerLine(c, e));
  }

  isContainerLine(c: DockerContainer, e: JournalEntry): boolean {
    return e.unit === c.unit.id && e.identifier !== 'systemd';
  }

  endFollowers(c: DockerContainer): void {
    for (const end of [...c.followers]) end();
    c.followers.clear();
  }

  private async idleGpu(): Promise<void> {
    if (this.shuttingDown) return;
    await fs.writeFile(this.opts.gpuFile, '0\n').catch(() => undefined);
  }

  async shutdown(graceMs: number): Promise<void> {
    this.shuttingDown = true;
    const c = this.container;
    if (!c) return;
    this.endFollowers(c);
    await c.unit.shutdown(graceMs);
  }
}
