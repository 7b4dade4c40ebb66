/**
 * One operation that changes a device at a time, for every console that drives it: the console side of the
 * device's lease (lease-script.ts is the device side). Operations take it with `run`, readers never wait for it,
 * and `current` tells the UI who holds it, also when that is another console.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import {
  ContractError,
  isLive,
  leaseSentence,
  type DeviceLease,
  type DeviceStatus,
} from '../../contract/index.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';
import type { ExecInput } from '../ssh/types.js';
import {
  LEASE_BUSY,
  LEASE_RESET_PENDING,
  READ_LEASE,
  acquireCommand,
  leaseValue,
  parseLeaseFields,
} from './lease-script.js';

/** What an operation says about itself when it takes the lease. */
export interface LeaseRequest {
  /** The audit action: config.apply, recorder.restart, … */
  kind: string;
  /** In words, for the holder's description: "Apply h264-hw to cam0-cam3". */
  what: string;
  /** How another console's user follows it. */
  follow: string;
}

export interface LeaseAudit {
  deviceId: string;
  action: string;
  detail?: string;
  result: 'ok' | 'error' | 'refused' | 'started';
  message?: string;
}

export interface DeviceLeasesOptions {
  connections: ConnectionManager;
  deviceName(deviceId: string): string;
  /** `user@host (shell)`, as the audit log writes it. */
  who: string;
  audit(entry: LeaseAudit): Promise<void>;
  onChange(deviceId: string, lease: DeviceLease | null): void;
  /** Heartbeat to a console-held lease (default 2 s) and how long the device waits without one (default 20 s). */
  beatMs?: number;
  expireS?: number;
  /** How often other consoles' leases are looked for on live devices (default 2 s; 0: never). */
  pollMs?: number;
}

type LeaseEnd = 'released' | 'expired' | 'orphaned' | 'lost';

/** A lease this console holds. Operations check `interruptedBy` at their safe points. */
export class Lease {
  interruptedBy: string | null = null;
  ended: LeaseEnd | null = null;
  private readonly interruptListeners = new Set<(by: string) => void>();

  constructor(
    readonly deviceId: string,
    readonly view: DeviceLease,
    private readonly doRelease: () => Promise<void>,
  ) {}

  onInterrupt(listener: (by: string) => void): () => void {
    this.interruptListeners.add(listener);
    if (this.interruptedBy !== null) listener(this.interruptedBy);
    return () => this.interruptListeners.delete(listener);
  }

  /** @internal */
  interrupt(by: string): void {
    if (this.interruptedBy !== null) return;
    this.interruptedBy = by;
    for (const l of this.interruptListeners) l(by);
  }

  release(): Promise<void> {
    return this.doRelease();
  }
}

function leaseFrom(deviceId: string, fields: Record<string, string>, consoleId: string): DeviceLease | null {
  if (!fields['id']) return null;
  return {
    deviceId,
    id: fields['id'],
    kind: fields['kind'] ?? 'unknown',
    what: fields['what'] ?? 'An operation',
    who: fields['who'] ?? 'someone',
    host: fields['host'] ?? 'an unknown host',
    mine: fields['console'] === consoleId,
    since: fields['since'] ?? '',
    follow: fields['follow'] ?? '',
  };
}

export class DeviceLeases {
  /** This console's identity on devices: other consoles' leases carry another one. */
  readonly consoleId = `c-${randomBytes(6).toString('hex')}`;
  private readonly held = new Map<string, Lease>();
  private readonly known = new Map<string, DeviceLease | null>();
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly unsubscribe: () => void;
  private polling = false;

  constructor(private readonly opts: DeviceLeasesOptions) {
    const pollMs = opts.pollMs ?? 2000;
    this.timer = pollMs > 0 ? setInterval(() => void this.poll(), pollMs) : undefined;
    this.timer?.unref();
    this.unsubscribe = opts.connections.onStatus((id, status) => this.onStatus(id, status));
  }

  /** Who holds the device's lease, as last seen (this console's at once, others' within a poll). */
  current(deviceId: string): DeviceLease | null {
    const mine = this.held.get(deviceId);
    return mine ? mine.view : (this.known.get(deviceId) ?? null);
  }

  /** Ask the device who holds its lease now. Reading takes nothing. */
  async read(deviceId: string): Promise<DeviceLease | null> {
    const r = await this.opts.connections.exec(deviceId, READ_LEASE, { timeoutMs: 10_000 });
    const lines = r.stdout.split('\n');
    if (lines.includes('@stale')) return null;
    const fields = parseLeaseFields(
      lines.filter((l) => l.startsWith('@holder ')).map((l) => l.slice('@holder '.length)),
    );
    return leaseFrom(deviceId, fields, this.consoleId);
  }

  /**
   * Take the device's lease, run `work`, let go. Refused with a `busy` error that names what runs, who started
   * it, since when and how to follow it, when another operation holds it.
   */
  async run<T>(deviceId: string, request: LeaseRequest, work: (lease: Lease) => Promise<T>): Promise<T> {
    const lease = await this.acquire(deviceId, request);
    try {
      return await work(lease);
    } finally {
      await lease.release();
    }
  }

  /** Take the lease for work that outlives this call; the caller releases it. */
  acquire(deviceId: string, request: LeaseRequest): Promise<Lease> {
    const device = this.opts.deviceName(deviceId);
    const mine = this.held.get(deviceId);
    if (mine) return Promise.reject(this.busyError(device, mine.view));
    const id = `lease-${randomBytes(6).toString('hex')}`;
    const since = new Date().toISOString();
    const view: DeviceLease = {
      deviceId,
      id,
      kind: request.kind,
      what: request.what,
      who: this.opts.who,
      host: os.hostname(),
      mine: true,
      since,
      follow: request.follow,
    };
    const info = this.describe(id, request, since);
    const beatMs = this.opts.beatMs ?? 2000;
    const expireS = this.opts.expireS ?? 20;

    return new Promise<Lease>((resolve, reject) => {
      let input: ExecInput | undefined;
      let pending = '';
      let lease: Lease | undefined;
      let beat: NodeJS.Timeout | undefined;
      let releasing: Promise<void> | undefined;
      let ended: () => void = () => undefined;
      const endedPromise = new Promise<void>((r) => (ended = r));
      const broken: string[] = [];
      const holder: string[] = [];
      let resetPending = false;

      const finish = (how: LeaseEnd): void => {
        clearInterval(beat);
        if (!lease || lease.ended) return;
        lease.ended = how;
        if (this.held.get(deviceId) === lease) {
          this.held.delete(deviceId);
          this.known.set(deviceId, null);
          this.opts.onChange(deviceId, null);
        }
        ended();
      };
      const release = (): Promise<void> => {
        releasing ??= (async () => {
          if (lease?.ended) return;
          input?.write('release\n');
          input?.end();
          await Promise.race([endedPromise, new Promise((r) => setTimeout(r, 5000).unref())]);
          finish('released');
        })();
        return releasing;
      };
      const onLine = (line: string): void => {
        if (line.startsWith('@was ')) broken.push(line.slice(5));
        else if (line.startsWith('@holder ')) holder.push(line.slice(8));
        else if (line === '@busy reset') resetPending = true;
        else if (line.startsWith('@held')) {
          lease = new Lease(deviceId, view, release);
          this.held.set(deviceId, lease);
          this.known.set(deviceId, view);
          beat = setInterval(() => input?.write('\n'), beatMs);
          beat.unref();
          this.opts.onChange(deviceId, view);
          if (broken.length > 0) void this.auditBroken(deviceId, parseLeaseFields(broken));
          resolve(lease);
        } else if (line.startsWith('@interrupt ')) lease?.interrupt(line.slice('@interrupt '.length).trim());
        else if (line === '@expired') finish('expired');
        else if (line === '@orphaned') finish('orphaned');
        else if (line === '@released') finish('released');
      };

      this.opts.connections
        .exec(deviceId, acquireCommand(id, info, expireS), {
          maxBufferBytes: 64 * 1024,
          input: (channel) => (input = channel),
          onStdout: (chunk) => {
            pending += chunk.toString('utf8');
            let nl: number;
            while ((nl = pending.indexOf('\n')) >= 0) {
              onLine(pending.slice(0, nl));
              pending = pending.slice(nl + 1);
            }
          },
        })
        .then(
          (r) => {
            if (lease) return finish(lease.ended ?? (releasing ? 'released' : 'lost'));
            if (r.code === LEASE_BUSY) {
              const other = leaseFrom(deviceId, parseLeaseFields(holder), this.consoleId);
              reject(this.busyError(device, other));
            } else if (r.code === LEASE_RESET_PENDING || resetPending)
              reject(
                new ContractError(
                  'busy',
                  `An emergency VPU reset is taking ${device} over; wait for its report before starting anything else.`,
                ),
              );
            else
              reject(
                new ContractError(
                  'device_error',
                  `Could not take ${device}'s operation lease: ${r.stderr.trim() || `exit ${r.code}`}. Tally needs flock (util-linux) and a writable ~/.tally on the device.`,
                ),
              );
          },
          (err: unknown) => {
            if (lease) return finish(releasing ? 'released' : 'lost');
            reject(err);
          },
        );
    });
  }

  /** The description a holder writes beside the lock (`key=value` lines). */
  describe(id: string, request: LeaseRequest, since: string, jobId?: string): string {
    return [
      `id=${id}`,
      `kind=${leaseValue(request.kind)}`,
      `what=${leaseValue(request.what)}`,
      `who=${leaseValue(this.opts.who)}`,
      `host=${leaseValue(os.hostname())}`,
      `console=${this.consoleId}`,
      `since=${since}`,
      `follow=${leaseValue(request.follow)}`,
      ...(jobId ? [`job=${jobId}`] : []),
    ].join('\n');
  }

  /** The error for a device that another operation holds: what runs, who started it, since when, how to follow. */
  busyError(device: string, holder: DeviceLease | null): ContractError {
    if (!holder)
      return new ContractError(
        'busy',
        `${device} is busy with another operation that just ended or is starting; try again in a moment.`,
      );
    return new ContractError(
      'busy',
      `${device} is busy: ${leaseSentence(holder)} Try again when it has finished; nothing was changed.`,
    );
  }

  private async auditBroken(deviceId: string, old: Record<string, string>): Promise<void> {
    const what = old['what'] ?? 'an operation';
    await this.opts
      .audit({
        deviceId,
        action: 'lease.broken',
        detail: old['kind'] ?? 'unknown',
        result: 'ok',
        message: `The lease of "${what}" (started by ${old['who'] ?? 'someone'} on ${old['host'] ?? '?'} at ${old['since'] ?? '?'}) was broken: its holder (pid ${old['pid'] ?? '?'}) is gone.`,
      })
      .catch(() => undefined);
  }

  private onStatus(deviceId: string, status: DeviceStatus): void {
    if (isLive(status.state)) void this.refresh(deviceId);
  }

  /** Read who holds the device now and tell the UI if that changed (a job took or let go of the lease). */
  async refresh(deviceId: string): Promise<void> {
    if (this.held.has(deviceId)) return;
    let lease: DeviceLease | null;
    try {
      lease = await this.read(deviceId);
    } catch {
      return;
    }
    if (this.held.has(deviceId)) return;
    const before = this.known.get(deviceId) ?? null;
    this.known.set(deviceId, lease);
    if (JSON.stringify(before) !== JSON.stringify(lease)) this.opts.onChange(deviceId, lease);
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (const deviceId of [...this.known.keys()])
        if (isLive(this.opts.connections.status(deviceId).state)) await this.refresh(deviceId);
    } finally {
      this.polling = false;
    }
  }

  forget(deviceId: string): void {
    this.known.delete(deviceId);
  }

  close(): void {
    clearInterval(this.timer);
    this.unsubscribe();
    for (const lease of this.held.values()) void lease.release();
  }
}
