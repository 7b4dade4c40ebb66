/** Which alarm is worst, in what order the bar lists them, and the short words the fleet list uses. */
import type { Alarm, AlarmKind } from '../../src-main/contract/index.js';

/** Worst first: a machine that went down outranks one that is about to. */
const KIND_RANK: Record<AlarmKind, number> = {
  panic: 0,
  oops: 1,
  rcu_stall: 2,
  vpu_error: 3,
  link_lost: 4,
  vpu_sessions_practical: 5,
  temperature: 6,
  vpu_sessions_safe: 7,
  health_failing: 4,
  camera_down: 4,
  vaapi_unavailable: 5,
  segment_late: 5,
  output_down: 6,
  service_restarts: 7,
  cpu_over_budget: 7,
};

/** A few words for a badge; the alarm's own title carries the detail. */
export const ALARM_SHORT: Record<AlarmKind, string> = {
  panic: 'Panic',
  oops: 'Oops',
  rcu_stall: 'RCU stall',
  vpu_error: 'VPU error',
  vpu_sessions_practical: 'VPU at limit',
  temperature: 'Hot',
  vpu_sessions_safe: 'VPU high',
  link_lost: 'Link lost',
  health_failing: 'Health failing',
  vaapi_unavailable: 'No VAAPI',
  service_restarts: 'Restarts',
  camera_down: 'Camera down',
  segment_late: 'Segment late',
  output_down: 'Output down',
  cpu_over_budget: 'CPU over budget',
};

export function isOpen(alarm: Alarm): boolean {
  return alarm.acknowledged === null;
}

/** Negative when `a` is worse than `b`: severity, then kind, then the most recent activity. */
export function compareAlarms(a: Alarm, b: Alarm): number {
  const sev = (a.severity === 'critical' ? 0 : 1) - (b.severity === 'critical' ? 0 : 1);
  if (sev !== 0) return sev;
  const kind = KIND_RANK[a.kind] - KIND_RANK[b.kind];
  if (kind !== 0) return kind;
  return Date.parse(b.lastAt) - Date.parse(a.lastAt) || a.id.localeCompare(b.id);
}

/** Open alarms, worst first. */
export function openAlarms(alarms: readonly Alarm[]): Alarm[] {
  return alarms.filter(isOpen).sort(compareAlarms);
}

export interface DeviceAlarms {
  worst: Alarm;
  /** Open alarms of the device, the worst included. */
  count: number;
}

/** Per device, its worst open alarm and how many it has. */
export function worstByDevice(alarms: readonly Alarm[]): Map<string, DeviceAlarms> {
  const out = new Map<string, DeviceAlarms>();
  for (const alarm of alarms) {
    if (!isOpen(alarm)) continue;
    const seen = out.get(alarm.deviceId);
    if (!seen) out.set(alarm.deviceId, { worst: alarm, count: 1 });
    else
      out.set(alarm.deviceId, {
        worst: compareAlarms(alarm, seen.worst) < 0 ? alarm : seen.worst,
        count: seen.count + 1,
      });
  }
  return out;
}

/** Replace one alarm in the list by id (the acknowledge reply), keeping the rest as they are. */
export function replaceAlarm(alarms: readonly Alarm[], next: Alarm): Alarm[] {
  const i = alarms.findIndex((a) => a.id === next.id);
  if (i < 0) return [next, ...alarms];
  const out = [...alarms];
  out[i] = next;
  return out;
}
