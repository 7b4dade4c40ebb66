import { z } from 'zod';
import { DeviceStatus, DeviceView } from './devices.js';
import { DeviceLease } from './lease.js';
import { Alarm, KernelEvent, KernelLine, MonitorSample, MonitorStatus } from './monitor.js';
import { Operation, PipelineJob } from './pipelines.js';
import { DeviceProbe, JournalEntry, RecorderState } from './recorder.js';
import { MixerState } from './mixer.js';
import { Qualification } from './qualify.js';
import { Rollback } from './rollback.js';
import { VpuReset } from './vpu-reset.js';
import { HealthSample } from './health.js';
import { KindFinding } from './kinds.js';
import { VmsState } from './segments.js';
import { ServiceLogLine, ServiceState } from './service.js';
import { KnownGoodSwitch } from './known-good.js';
import { KindQualification } from './kind-qualify.js';

/** Everything the core pushes to the renderer. */
export const events = {
  'devices.changed': z.object({ devices: z.array(DeviceView) }),
  'device.status': z.object({ id: z.string(), status: DeviceStatus }),
  'terminal.data': z.object({ terminalId: z.string(), data: z.string() }),
  'terminal.exit': z.object({ terminalId: z.string(), code: z.number().nullable(), reason: z.string() }),
  'store.problem': z.object({ message: z.string() }),
  /** Kernel lines in batches (at most a few per second per device), with reports that started or grew. */
  'monitor.kernel': z.object({
    deviceId: z.string(),
    lines: z.array(KernelLine),
    events: z.array(KernelEvent),
  }),
  'monitor.sample': z.object({ deviceId: z.string(), sample: MonitorSample }),
  'monitor.status': z.object({ deviceId: z.string(), status: MonitorStatus }),
  /** The whole alarm list after any change. */
  'alarms.changed': z.object({ alarms: z.array(Alarm) }),
  'device.probed': z.object({ probe: DeviceProbe }),
  'recorder.state': z.object({ deviceId: z.string(), state: RecorderState }),
  'recorder.journal': z.object({ deviceId: z.string(), entries: z.array(JournalEntry) }),
  /** A long operation started, moved on a step, or ended. */
  'operation.changed': z.object({ operation: Operation }),
  'pipelines.changed': z.object({ job: PipelineJob }),
  /** A reset started, moved on, lost or regained its link, or ended. */
  'vpuReset.changed': z.object({ reset: VpuReset }),
  /** Who holds the device's operation lease changed (this console's at once, another console's within ~2 s). */
  /** A rollback started, moved on, lost or regained its link, or ended. */
  'rollback.changed': z.object({ rollback: Rollback }),
  /** A qualification started, moved on, lost or regained its link, or ended. */
  'qualify.changed': z.object({ qualification: Qualification }),
  'lease.changed': z.object({ deviceId: z.string(), lease: DeviceLease.nullable() }),
  /** The device's mixer reported a change (a take, an input, its health), or the console lost or regained it. */
  'mixer.changed': z.object({ state: MixerState }),
  /** What the box was found to be at connect. */
  'device.kind': z.object({ finding: KindFinding }),
  /** A transcoder's or VMS host's service changed state (read every couple of seconds). */
  'service.state': z.object({ deviceId: z.string(), state: ServiceState }),
  /** New service log lines, batched. */
  'service.log': z.object({ deviceId: z.string(), lines: z.array(ServiceLogLine) }),
  'health.sample': z.object({ deviceId: z.string(), sample: HealthSample }),
  'segments.state': z.object({ state: VmsState }),
  /** A known-good switch started, moved on, lost or regained its link, or ended. */
  'knownGood.changed': z.object({ switch: KnownGoodSwitch }),
  /** A transcoder's or VMS host's qualification started, took a reading, or ended. */
  'kindQualify.changed': z.object({ qualification: KindQualification }),
} as const;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<N extends EventName> = z.output<Events[N]>;
export type AnyEvent = { [N in EventName]: { name: N; payload: EventPayload<N> } }[EventName];
