/** Small builders for kernel lines, reports, samples and alarms shaped as the contract says. */
import type {
  Alarm,
  KernelCategory,
  KernelEvent,
  KernelLine,
  MonitorSample,
  Severity,
} from '../../../src-main/contract/index.js';

export function line(
  seq: number,
  text = `line ${seq}`,
  opts: { severity?: Severity; category?: KernelCategory; eventId?: string } = {},
): KernelLine {
  return {
    seq,
    usec: seq * 1000,
    priority: 6,
    severity: opts.severity ?? 'info',
    category: opts.category ?? 'other',
    text,
    ...(opts.eventId !== undefined ? { eventId: opts.eventId } : {}),
  };
}

export function report(id: string, category: KernelCategory, firstSeq: number, lastSeq: number): KernelEvent {
  return {
    id,
    category,
    severity: category === 'oops' || category === 'panic' ? 'critical' : 'error',
    title: `${category} report ${id}`,
    firstSeq,
    lastSeq,
    usec: firstSeq * 1000,
    process: 'gst-launch-1.0',
    pid: 4242,
    callTrace: ['rkvenc2_set_rc_cfg+0x1c8/0x4b0'],
    open: false,
  };
}

export function lookupOf(...events: KernelEvent[]): (id: string) => KernelEvent | undefined {
  const map = new Map(events.map((e) => [e.id, e]));
  return (id) => map.get(id);
}

export function sample(at: number, vpu: number | null, extra: Partial<MonitorSample> = {}): MonitorSample {
  return {
    at,
    vpu: {
      source: '/sys/kernel/debug/mpp_service/session',
      total: vpu,
      encoders: vpu,
      decoders: 0,
      byProcess: [],
    },
    cpuPercent: 20,
    cores: 8,
    topProcesses: [],
    memory: null,
    temperatureC: 50,
    zones: [],
    load: null,
    ...extra,
  };
}

export function alarm(id: string, over: Partial<Alarm> = {}): Alarm {
  return {
    id,
    deviceId: 'dev-a',
    device: 'studio-a',
    kind: 'oops',
    severity: 'critical',
    title: 'Kernel Oops in gst-launch-1.0 (rkvenc)',
    detail: '',
    evidence: [],
    raisedAt: '2026-03-14T10:00:00.000Z',
    lastAt: '2026-03-14T10:00:00.000Z',
    count: 1,
    acknowledged: null,
    recovery: false,
    ...over,
  };
}
