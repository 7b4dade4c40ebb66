import type { AlarmKind } from '../../../src-main/contract/index.js';
import type { AlarmSink, KindAlarmInput } from '../../../src-main/core/device/kind-alarms.js';

/** An alarm centre that keeps one open alarm per kind, as the real one does per device. */
export class FakeAlarms implements AlarmSink {
  open = new Map<AlarmKind, KindAlarmInput>();
  raised: KindAlarmInput[] = [];
  resolved: AlarmKind[] = [];
  raise(input: KindAlarmInput): void {
    this.open.set(input.kind, input);
    this.raised.push(input);
  }
  resolve(_deviceId: string, kind: AlarmKind): void {
    if (this.open.delete(kind)) this.resolved.push(kind);
  }
  isOpen(_deviceId: string, kind: AlarmKind): boolean {
    return this.open.has(kind);
  }
}
