/**
 * Alarms across all devices. An alarm stays until a person acknowledges it. While one is open, the same cause on
 * the same device raises its count instead of a second alarm, so a flood of identical kernel errors is one line
 * on every screen, not a wall.
 */
import { randomUUID } from 'node:crypto';
import { ContractError, type Alarm, type AlarmKind } from '../../contract/index.js';

export interface AlarmInput {
  deviceId: string;
  device: string;
  kind: AlarmKind;
  severity: 'critical' | 'warning';
  title: string;
  detail: string;
  evidence: string[];
  recovery: boolean;
  /**
   * What this firing is (a kernel report id, a line's sequence number). A second call with the same occurrence
   * updates the alarm's text without counting it again: a report grows as its lines arrive.
   */
  occurrence: string;
}

export interface AlarmCenterOptions {
  onChange: (alarms: Alarm[]) => void;
  onRaised?: (alarm: Alarm) => void;
  onAcknowledged?: (alarm: Alarm) => void;
  /** An alarm whose cause went away by itself (the link came back) and was closed by Tally. */
  onResolved?: (alarm: Alarm) => void;
  now?: () => Date;
  /** Acknowledged alarms kept for the list (newest first). */
  keepAcknowledged?: number;
}

const MAX_EVIDENCE = 60;

interface Entry {
  alarm: Alarm;
  occurrence: string;
}

export class AlarmCenter {
  private readonly open = new Map<string, Entry>();
  private acknowledged: Alarm[] = [];
  private readonly now: () => Date;
  private readonly keep: number;

  constructor(private readonly opts: AlarmCenterOptions) {
    this.now = opts.now ?? (() => new Date());
    this.keep = opts.keepAcknowledged ?? 50;
  }

  private static key(deviceId: string, kind: AlarmKind): string {
    return `${deviceId}\0${kind}`;
  }

  raise(input: AlarmInput): Alarm {
    const at = this.now().toISOString();
    const key = AlarmCenter.key(input.deviceId, input.kind);
    const existing = this.open.get(key);
    const evidence = input.evidence.slice(0, MAX_EVIDENCE);
    if (existing) {
      const repeat = existing.occurrence !== input.occurrence;
      const worse = input.severity === 'critical' ? 'critical' : existing.alarm.severity;
      existing.alarm = {
        ...existing.alarm,
        severity: worse,
        title: input.title,
        detail: input.detail,
        evidence,
        lastAt: repeat ? at : existing.alarm.lastAt,
        count: existing.alarm.count + (repeat ? 1 : 0),
        recovery: existing.alarm.recovery || input.recovery,
      };
      existing.occurrence = input.occurrence;
      this.changed();
      return existing.alarm;
    }
    const alarm: Alarm = {
      id: randomUUID(),
      deviceId: input.deviceId,
      device: input.device,
      kind: input.kind,
      severity: input.severity,
      title: input.title,
      detail: input.detail,
      evidence,
      raisedAt: at,
      lastAt: at,
      count: 1,
      acknowledged: null,
      recovery: input.recovery,
    };
    this.open.set(key, { alarm, occurrence: input.occurrence });
    this.opts.onRaised?.(alarm);
    this.changed();
    return alarm;
  }

  /** Whether an unacknowledged alarm of this kind is open on the device. */
  isOpen(deviceId: string, kind: AlarmKind): boolean {
    return this.open.has(AlarmCenter.key(deviceId, kind));
  }

  acknowledge(id: string, by: string): Alarm {
    for (const [key, entry] of this.open) {
      if (entry.alarm.id !== id) continue;
      this.open.delete(key);
      const done: Alarm = { ...entry.alarm, acknowledged: { by, at: this.now().toISOString() } };
      this.acknowledged = [done, ...this.acknowledged].slice(0, this.keep);
      this.opts.onAcknowledged?.(done);
      this.changed();
      return done;
    }
    const already = this.acknowledged.find((a) => a.id === id);
    if (already) return already;
    throw new ContractError('not_found', 'That alarm is no longer listed. Reload the alarm list.');
  }

  /**
   * Close an open alarm whose cause is over (a lost link that came back): it moves to the acknowledged list,
   * acknowledged by `by`. Returns it, or undefined when none was open.
   */
  resolve(deviceId: string, kind: AlarmKind, by: string): Alarm | undefined {
    const key = AlarmCenter.key(deviceId, kind);
    const entry = this.open.get(key);
    if (!entry) return undefined;
    this.open.delete(key);
    const done: Alarm = { ...entry.alarm, acknowledged: { by, at: this.now().toISOString() } };
    this.acknowledged = [done, ...this.acknowledged].slice(0, this.keep);
    this.opts.onResolved?.(done);
    this.changed();
    return done;
  }

  /** Open alarms, critical before warning and newest first, then the acknowledged ones. */
  list(): Alarm[] {
    const open = [...this.open.values()]
      .map((e) => e.alarm)
      .sort(
        (a, b) =>
          (a.severity === b.severity ? 0 : a.severity === 'critical' ? -1 : 1) ||
          b.lastAt.localeCompare(a.lastAt),
      );
    return [...open, ...this.acknowledged];
  }

  /** A removed device takes its alarms with it. */
  forgetDevice(deviceId: string): void {
    let touched = false;
    for (const [key, entry] of this.open) {
      if (entry.alarm.deviceId === deviceId) {
        this.open.delete(key);
        touched = true;
      }
    }
    const before = this.acknowledged.length;
    this.acknowledged = this.acknowledged.filter((a) => a.deviceId !== deviceId);
    if (touched || before !== this.acknowledged.length) this.changed();
  }

  private changed(): void {
    this.opts.onChange(this.list());
  }
}

/**
 * Fires once when a reading reaches its limit, then stays quiet until the reading drops back below
 * `limit - hysteresis`: an alarm that was acknowledged while the value is still high does not come straight back.
 */
export class Threshold {
  private armed = true;

  constructor(
    private readonly limit: number,
    private readonly hysteresis = 0,
  ) {}

  /** True exactly when this reading crosses the limit. */
  check(value: number | null): boolean {
    if (value === null) return false;
    if (value >= this.limit) {
      if (!this.armed) return false;
      this.armed = false;
      return true;
    }
    if (value < this.limit - this.hysteresis) this.armed = true;
    return false;
  }
}
