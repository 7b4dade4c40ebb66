import { z } from 'zod';

/** How bad a kernel line is, worst first. */
export const SEVERITIES = ['critical', 'error', 'warning', 'notice', 'info', 'debug'] as const;
export const Severity = z.enum(SEVERITIES);
export type Severity = z.infer<typeof Severity>;

export const KERNEL_CATEGORIES = [
  'oops',
  'panic',
  'rcu_stall',
  'vpu',
  'video',
  'thermal',
  'usb',
  'network',
  'other',
] as const;
export const KernelCategory = z.enum(KERNEL_CATEGORIES);
export type KernelCategory = z.infer<typeof KernelCategory>;

/** One kernel log line as the console received and classified it. */
export const KernelLine = z.object({
  /** Per device, increasing from 1 for the life of the console; never reused. */
  seq: z.number().int().min(1),
  /** Kernel timestamp: microseconds since the device booted. */
  usec: z.number().min(0),
  /** Wall-clock time of the line on the device (ms since the epoch) when the source tells it. */
  wallMs: z.number().optional(),
  /** Syslog priority 0 (emerg) … 7 (debug). */
  priority: z.number().int().min(0).max(7),
  severity: Severity,
  category: KernelCategory,
  text: z.string(),
  /** Set on every line that belongs to a multi-line report (an Oops with its call trace, an RCU stall). */
  eventId: z.string().optional(),
});
export type KernelLine = z.infer<typeof KernelLine>;

/** A multi-line kernel report put together as one event. */
export const KernelEvent = z.object({
  id: z.string(),
  category: KernelCategory,
  severity: Severity,
  /** The headline, e.g. `Internal error: Oops: 0000000096000005 [#1] SMP`. */
  title: z.string(),
  firstSeq: z.number().int(),
  lastSeq: z.number().int(),
  usec: z.number(),
  /** `Comm:` and `PID:` from the report when it names them. */
  process: z.string().optional(),
  pid: z.number().int().optional(),
  /** Function frames from `Call trace:`, e.g. `rkvenc_run+0x1c4/0x3b0 [rk_vcodec]`. */
  callTrace: z.array(z.string()),
  /** True while the report may still grow (no end marker seen yet). */
  open: z.boolean(),
});
export type KernelEvent = z.infer<typeof KernelEvent>;

export const VpuSessionKind = z.enum(['enc', 'dec', 'unknown']);

export const VpuReading = z.object({
  /** The file that was read, or null when none could be. */
  source: z.string().nullable(),
  total: z.number().int().nullable(),
  encoders: z.number().int().nullable(),
  decoders: z.number().int().nullable(),
  /** Sessions per process where the kernel names the pid. */
  byProcess: z.array(
    z.object({ pid: z.number().int(), name: z.string(), sessions: z.number().int(), kind: VpuSessionKind }),
  ),
  /** Why the count is missing, in words a producer can act on (e.g. sudo needs a password). */
  problem: z.string().optional(),
});
export type VpuReading = z.infer<typeof VpuReading>;

export const ProcessCpu = z.object({ pid: z.number().int(), name: z.string(), percent: z.number() });

/** One second of a device's vital signs. */
export const MonitorSample = z.object({
  /** Console wall clock (ms) when the sample arrived. */
  at: z.number(),
  vpu: VpuReading,
  /** Percent of the whole machine (all cores = 100). */
  cpuPercent: z.number().nullable(),
  cores: z.number().int().nullable(),
  topProcesses: z.array(ProcessCpu),
  memory: z.object({ totalBytes: z.number(), availableBytes: z.number() }).nullable(),
  /** Hottest thermal zone in °C, and every zone. */
  temperatureC: z.number().nullable(),
  zones: z.array(z.object({ name: z.string(), celsius: z.number() })),
  load: z.tuple([z.number(), z.number(), z.number()]).nullable(),
});
export type MonitorSample = z.infer<typeof MonitorSample>;

/**
 * A sample as history keeps it: the figures charts and budgets read back (VPU sessions, CPU, temperature), without
 * per-process, zone, memory or load detail, which only the newest sample needs.
 */
export function slimSample(s: MonitorSample): MonitorSample {
  return {
    at: s.at,
    vpu: {
      source: s.vpu.source,
      total: s.vpu.total,
      encoders: s.vpu.encoders,
      decoders: s.vpu.decoders,
      byProcess: [],
    },
    cpuPercent: s.cpuPercent,
    cores: null,
    topProcesses: [],
    memory: null,
    temperatureC: s.temperatureC,
    zones: [],
    load: null,
  };
}

export const StreamState = z.enum(['starting', 'following', 'waiting', 'unavailable', 'stopped']);
export type StreamState = z.infer<typeof StreamState>;

export const MonitorStatus = z.object({
  kernelLog: z.object({
    state: StreamState,
    /** `journalctl -k`, `sudo dmesg` or `dmesg`; null before the probe. */
    source: z.string().nullable(),
    detail: z.string(),
  }),
  sampler: z.object({ state: StreamState, detail: z.string() }),
});
export type MonitorStatus = z.infer<typeof MonitorStatus>;

export const MonitorLimits = z.object({
  /** Null on kinds of box without VPU sessions (the transcoder, the VMS host). */
  vpuSafe: z.number().int().nullable(),
  vpuPractical: z.number().int().nullable(),
  temperatureWarnC: z.number(),
  temperatureCriticalC: z.number(),
  /** Percent of the whole box past which its CPU counts as busy; null where it is budgeted otherwise. */
  cpuWarnPercent: z.number().nullable(),
});
export type MonitorLimits = z.infer<typeof MonitorLimits>;

export const ALARM_KINDS = [
  'oops',
  'panic',
  'rcu_stall',
  'vpu_error',
  'vpu_sessions_safe',
  'vpu_sessions_practical',
  'temperature',
  /** The console lost the device's link for longer than the keepalive window; cleared when it is back. */
  'link_lost',
  /** A transcoder's /health fails or does not answer. */
  'health_failing',
  /** A transcoder's health says VAAPI (its GPU encoder) is not available. */
  'vaapi_unavailable',
  /** The service (container or unit) or its FFmpeg restarted. */
  'service_restarts',
  /** A VMS camera's process is gone. */
  'camera_down',
  /** A VMS camera made no new segment on schedule. */
  'segment_late',
  /** A VMS camera's live output does not answer. */
  'output_down',
  /** A VMS host's cameras use more CPU than the profile's budget. */
  'cpu_over_budget',
] as const;
export const AlarmKind = z.enum(ALARM_KINDS);
export type AlarmKind = z.infer<typeof AlarmKind>;

export const Alarm = z.object({
  id: z.string(),
  deviceId: z.string(),
  /** The device's name when the alarm was raised. */
  device: z.string(),
  kind: AlarmKind,
  severity: z.enum(['critical', 'warning']),
  /** The cause in a few words, e.g. `Kernel Oops in gst-launch-1.0 (rkvenc)`. */
  title: z.string(),
  detail: z.string(),
  /** The kernel lines or readings that raised it. */
  evidence: z.array(z.string()),
  raisedAt: z.string(),
  lastAt: z.string(),
  /** How often it fired while open. */
  count: z.number().int().min(1),
  acknowledged: z.object({ by: z.string(), at: z.string() }).nullable(),
  /** VPU faults point at the device's recovery actions. */
  recovery: z.boolean(),
});
export type Alarm = z.infer<typeof Alarm>;

export const MonitorSnapshot = z.object({
  deviceId: z.string(),
  status: MonitorStatus,
  limits: MonitorLimits,
  lines: z.array(KernelLine),
  events: z.array(KernelEvent),
  samples: z.array(MonitorSample),
});
export type MonitorSnapshot = z.infer<typeof MonitorSnapshot>;

/** What the fleet list shows per device at a glance. */
export const MonitorSummary = z.object({
  deviceId: z.string(),
  vpuSessions: z.number().int().nullable(),
  cpuPercent: z.number().nullable(),
  temperatureC: z.number().nullable(),
});
export type MonitorSummary = z.infer<typeof MonitorSummary>;

export const DeviceRefInput = z.object({ deviceId: z.string().min(1).max(64) });
export const AlarmRef = z.object({ id: z.string().min(1).max(64) });
