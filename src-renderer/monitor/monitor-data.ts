/**
 * Pure helpers of the monitor store. Maps here are immutable values: each change makes a new one, which is what
 * `$state.raw` fields need to notice a change, and what keeps Svelte from tracking every entry.
 */
import { slimSample } from '../../src-main/contract/index.js';
import type {
  KernelEvent,
  KernelLine,
  MonitorSample,
  MonitorSummary,
} from '../../src-main/contract/index.js';

/** Reports kept per device (oldest dropped first). */
export const EVENT_CAPACITY = 500;

export const NO_EVENTS: ReadonlyMap<string, KernelEvent> = new Map();
export const NO_SUMMARIES: ReadonlyMap<string, MonitorSummary> = new Map();

/** Reports replace their older selves by id; the oldest go once there are too many. */
export function mergeEvents(
  current: ReadonlyMap<string, KernelEvent>,
  incoming: readonly KernelEvent[],
  capacity = EVENT_CAPACITY,
): ReadonlyMap<string, KernelEvent> {
  const next = new Map(current);
  for (const event of incoming) next.set(event.id, event);
  if (next.size > capacity) {
    const extra = next.size - capacity;
    let i = 0;
    for (const id of next.keys()) {
      if (i++ >= extra) break;
      next.delete(id);
    }
  }
  return next;
}

export function summaryOf(deviceId: string, sample: MonitorSample): MonitorSummary {
  return {
    deviceId,
    vpuSessions: sample.vpu.total,
    cpuPercent: sample.cpuPercent,
    temperatureC: sample.temperatureC,
  };
}

export function summariesFrom(list: readonly MonitorSummary[]): ReadonlyMap<string, MonitorSummary> {
  return new Map(list.map((s) => [s.deviceId, s]));
}

export function withSummary(
  current: ReadonlyMap<string, MonitorSummary>,
  summary: MonitorSummary,
): ReadonlyMap<string, MonitorSummary> {
  return new Map(current).set(summary.deviceId, summary);
}

/** The same map without devices that are gone (the same object when none is). */
export function onlyDevices<T>(
  current: ReadonlyMap<string, T>,
  ids: readonly string[],
): ReadonlyMap<string, T> {
  if ([...current.keys()].every((id) => ids.includes(id))) return current;
  return new Map([...current].filter(([id]) => ids.includes(id)));
}

/**
 * Append a sample in time order, keeping at most `capacity`; an out-of-order or repeated one is dropped. The one it
 * follows is kept slim (its figures only): an hour of whole samples for a fleet of 32 would weigh on the page.
 */
export function appendSample(
  samples: readonly MonitorSample[],
  sample: MonitorSample,
  capacity: number,
): readonly MonitorSample[] {
  const last = samples.at(-1);
  if (last && sample.at <= last.at) return samples;
  const kept = samples.length >= capacity ? samples.slice(samples.length - capacity + 1) : [...samples];
  if (kept.length > 0 && last) kept[kept.length - 1] = slimSample(last);
  kept.push(sample);
  return kept;
}

export interface Intake {
  /** Lines newer than what was already taken in, in order. */
  fresh: KernelLine[];
  lastSeq: number;
  /** Seqs skipped between the lines taken in (lines that never arrived). */
  missing: number;
}

/**
 * The lines of a batch that are new: a batch held while a snapshot was on its way repeats lines the snapshot had.
 * With `countGaps`, a jump in seq is counted as missing lines.
 */
export function intake(lines: readonly KernelLine[], lastSeq: number, countGaps: boolean): Intake {
  const fresh: KernelLine[] = [];
  let missing = 0;
  let last = lastSeq;
  for (const line of lines) {
    if (line.seq <= last) continue;
    if (countGaps && last > 0 && line.seq > last + 1) missing += line.seq - last - 1;
    fresh.push(line);
    last = line.seq;
  }
  return { fresh, lastSeq: last, missing };
}
