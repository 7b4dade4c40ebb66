/**
 * The alarm for a lost link: raised once a device has been silent for longer than the keepalive window while the
 * console keeps trying to reach it (a blip that heals inside the window is not an alarm), critical when the box was
 * recording when last seen. Closed by Tally when the link is back, or when the producer disconnects on purpose.
 */
import { isLive, type DeviceStatus } from '../../contract/index.js';
import type { AlarmCenter } from './alarm-center.js';

export interface LinkAlarmOptions {
  alarms: AlarmCenter;
  deviceName(deviceId: string): string;
  /** The keepalive window in ms (it can change with the settings). */
  windowMs(): number;
  /** The cameras recording when the device was last heard from; empty or undefined when none or unknown. */
  recordingsOf(deviceId: string): readonly { camera: string }[] | undefined;
  /** The status now, when a timer fires. */
  statusOf(deviceId: string): DeviceStatus;
  now?: () => number;
}

function clockTime(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 8);
}

export class LinkAlarms {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly now: () => number;

  constructor(private readonly opts: LinkAlarmOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Every status change of a device. */
  onStatus(deviceId: string, status: DeviceStatus): void {
    const lost = status.linkLost;
    if (!lost) {
      this.cancel(deviceId);
      if (isLive(status.state)) this.opts.alarms.resolve(deviceId, 'link_lost', 'Tally: the link is back');
      else if (status.state === 'disconnected')
        this.opts.alarms.resolve(deviceId, 'link_lost', 'Tally: disconnected on purpose');
      return;
    }
    const dueIn = lost.since + this.opts.windowMs() - this.now();
    if (dueIn <= 0 || this.opts.alarms.isOpen(deviceId, 'link_lost')) {
      this.cancel(deviceId);
      this.raise(deviceId, status);
      return;
    }
    if (this.timers.has(deviceId)) return;
    this.timers.set(
      deviceId,
      setTimeout(() => {
        this.timers.delete(deviceId);
        const now = this.opts.statusOf(deviceId);
        if (now.linkLost) this.raise(deviceId, now);
      }, dueIn),
    );
  }

  private raise(deviceId: string, status: DeviceStatus): void {
    const lost = status.linkLost;
    if (!lost) return;
    const name = this.opts.deviceName(deviceId);
    const recording = this.opts.recordingsOf(deviceId) ?? [];
    const n = recording.length;
    const cameras = n === 1 ? '1 camera' : `${n} cameras`;
    this.opts.alarms.raise({
      deviceId,
      device: name,
      kind: 'link_lost',
      severity: n > 0 ? 'critical' : 'warning',
      title: n > 0 ? `Link lost while recording ${cameras}` : 'Link lost',
      detail:
        `Nothing heard from ${name} since ${clockTime(lost.since)}. Tally is reconnecting by itself ` +
        `(attempt ${lost.attempt}). ` +
        (n > 0
          ? `The box was recording ${recording.map((r) => r.camera).join(', ')}; recordings run on the box ` +
            'without the console, so check them once the link is back. '
          : '') +
        'Check the network between this computer and the device (cable, Wi-Fi, switch).',
      evidence: [status.detail],
      recovery: false,
      // One loss is one occurrence: later attempts update its words without counting it again.
      occurrence: String(lost.since),
    });
  }

  private cancel(deviceId: string): void {
    clearTimeout(this.timers.get(deviceId));
    this.timers.delete(deviceId);
  }

  forget(deviceId: string): void {
    this.cancel(deviceId);
  }

  close(): void {
    for (const id of [...this.timers.keys()]) this.cancel(id);
  }
}
