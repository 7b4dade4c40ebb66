/**
 * How a capability raises and resolves alarms in the console's one alarm centre without depending on the monitor:
 * the console hands it this (the monitor's AlarmCenter fits it as is).
 */
import type { AlarmKind } from '../../contract/index.js';

export interface KindAlarmInput {
  deviceId: string;
  /** The box's name, as every alarm names it. */
  device: string;
  kind: AlarmKind;
  severity: 'critical' | 'warning';
  title: string;
  detail: string;
  evidence: string[];
  recovery: boolean;
  /** What this firing is; the same occurrence again updates the words without counting a repeat. */
  occurrence: string;
}

export interface AlarmSink {
  raise(input: KindAlarmInput): unknown;
  resolve(deviceId: string, kind: AlarmKind, by: string): unknown;
  isOpen(deviceId: string, kind: AlarmKind): boolean;
}
