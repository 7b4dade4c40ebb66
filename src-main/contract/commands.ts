import { z } from 'zod';
import { DeviceInput, DeviceView, ImportCandidate } from './devices.js';
import { History, HistoryRef } from './history.js';
import { Alarm, AlarmRef, DeviceRefInput, MonitorSnapshot, MonitorSummary } from './monitor.js';
import {
  BudgetPlan,
  BudgetResult,
  ConfigChange,
  ConfigPreview,
  Operation,
  PipelineJob,
  PipelineRequest,
  Preset,
} from './pipelines.js';
import { PreviewList, PreviewRoute } from './previews.js';
import {
  CameraView,
  DeviceProbe,
  JournalEntry,
  Recording,
  RecorderControl,
  RecorderControlResult,
  RecorderState,
  RecordingDelete,
  RecordingsControl,
  RecordingsStop,
} from './recorder.js';
import {
  TerminalAck,
  TerminalInfo,
  TerminalInput,
  TerminalOpen,
  TerminalRef,
  TerminalResize,
} from './terminal.js';
import { DeviceLease } from './lease.js';
import { HealthHistory } from './health.js';
import { KindFinding, ProfileChoice } from './kinds.js';
import { VmsState } from './segments.js';
import {
  KnownGoodCandidates,
  KnownGoodPlan,
  KnownGoodRef,
  KnownGoodRequest,
  KnownGoodStart,
  KnownGoodSwitch,
} from './known-good.js';
import { KindQualification, KindQualifyPlan, KindQualifyRef, KindQualifyRequest } from './kind-qualify.js';
import {
  ServiceControl,
  ServiceControlResult,
  ServiceLogLine,
  ServiceLogsRequest,
  ServiceState,
} from './service.js';
import { Qualification, QualifyPlan, QualifyRef, QualifyRequest, QualifyStart } from './qualify.js';
import { Rollback, RollbackPlan, RollbackRef, RollbackRequest, RollbackStart } from './rollback.js';
import { RebootRequest, ResetPlan, ResetRef, ResetStart, VpuReset } from './vpu-reset.js';
import {
  MixerPreflight,
  MixerStartInput,
  MixerState,
  PreflightInput,
  PreviewInput,
  SceneDeleteInput,
  SceneList,
  SceneSaveInput,
  TakeInput,
  TakeResult,
} from './mixer.js';

const DeviceRef = z.object({ id: z.string().min(1) });
const Ok = z.object({ ok: z.literal(true) });

export const AppInfo = z.object({
  version: z.string(),
  shell: z.enum(['electron', 'web', 'cli']),
  /** False in web mode: passwords live in memory only and are asked again after a restart. */
  secretsPersist: z.boolean(),
  dataDir: z.string(),
  /** Problems found in the store at start, e.g. a corrupt file that was set aside. */
  storeProblems: z.array(z.string()),
});
export type AppInfo = z.infer<typeof AppInfo>;

export const AuditEntry = z.object({
  at: z.string(),
  who: z.string(),
  deviceId: z.string().optional(),
  device: z.string().optional(),
  action: z.string(),
  detail: z.string().optional(),
  result: z.enum(['ok', 'error', 'refused', 'started']),
  message: z.string().optional(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export const ConnectionSettings = z.object({
  /** How often to probe an idle link. */
  keepaliveIntervalMs: z.number().int().min(200, 'At least 200 ms.').max(60_000, 'At most 60 s.'),
  /** Unanswered probes before the link counts as dead: detection time is about interval × (count + 1). */
  keepaliveCountMax: z.number().int().min(1, 'At least 1.').max(20, 'At most 20.'),
});
export type ConnectionSettings = z.infer<typeof ConnectionSettings>;

function command<I extends z.ZodType, R extends z.ZodType>(input: I, result: R) {
  return { input, result };
}

/** Every command the renderer (or any shell) can send to the core. */
export const commands = {
  'app.info': command(z.object({}), AppInfo),
  'devices.list': command(z.object({}), z.array(DeviceView)),
  'devices.add': command(DeviceInput, DeviceView),
  'devices.update': command(DeviceInput.extend({ id: z.string().min(1) }), DeviceView),
  'devices.remove': command(DeviceRef, Ok),
  'devices.connect': command(DeviceRef, Ok),
  'devices.disconnect': command(DeviceRef, Ok),
  /** Connect every device that is not connected or connecting; the logins are spread by the console. */
  'devices.connectAll': command(z.object({}), z.object({ started: z.array(z.string()) })),
  'devices.importSshConfig': command(
    z.object({ path: z.string().max(4096).optional() }),
    z.object({ path: z.string(), candidates: z.array(ImportCandidate) }),
  ),
  /** Trust the key the device presented. The fingerprint must match the one the user was shown. */
  'hostkeys.trust': command(z.object({ id: z.string().min(1), fingerprint: z.string().min(1) }), Ok),
  /** Forget the recorded key (after the user checked why it changed). The next connect asks again. */
  'hostkeys.forget': command(DeviceRef, Ok),
  'terminal.open': command(TerminalOpen, TerminalInfo),
  'terminal.input': command(TerminalInput, Ok),
  'terminal.resize': command(TerminalResize, Ok),
  'terminal.ack': command(TerminalAck, Ok),
  'terminal.close': command(TerminalRef, Ok),
  'settings.get': command(z.object({}), ConnectionSettings),
  /** Applies to connections opened from now on. */
  'settings.update': command(ConnectionSettings, ConnectionSettings),
  'audit.tail': command(
    z.object({ limit: z.number().int().min(1).max(1000).default(100) }),
    z.array(AuditEntry),
  ),
  /** Everything the monitor holds for one device: status, limits, the kernel log ring, reports, samples. */
  'monitor.snapshot': command(DeviceRefInput, MonitorSnapshot),
  /** Latest VPU sessions, CPU and temperature of every device, for the fleet list. */
  'monitor.summary': command(z.object({}), z.array(MonitorSummary)),
  /** Open alarms and the recently acknowledged ones, newest first. */
  'alarms.list': command(z.object({}), z.array(Alarm)),
  /** The producer saw it. Written to the audit log. */
  'alarms.acknowledge': command(AlarmRef, Alarm),
  /** Acknowledge every open alarm of one device (each one audited). */
  'alarms.acknowledgeDevice': command(DeviceRefInput, z.object({ acknowledged: z.array(Alarm) })),
  /** What the console found on the device at connect; `refresh` probes again. */
  'device.probe': command(DeviceRefInput.extend({ refresh: z.boolean().default(false) }), DeviceProbe),
  'recorder.status': command(DeviceRefInput, RecorderState),
  /** Stop or restart while recording answers `confirm` naming the recordings; call again with confirmed. */
  'recorder.control': command(RecorderControl, RecorderControlResult),
  /** The recorder unit's journal: the last entries; new ones arrive as `recorder.journal` events. */
  'recorder.journal': command(DeviceRefInput, z.array(JournalEntry)),
  'cameras.list': command(DeviceRefInput, z.array(CameraView)),
  'presets.list': command(z.object({}), z.array(Preset)),
  /** The device's current plan (from its config.yml), or the given one, against its VPU limits. */
  'budget.check': command(DeviceRefInput.extend({ plan: BudgetPlan.optional() }), BudgetResult),
  /** The diff, the budget and any danger of a change, without touching the device. */
  'config.preview': command(ConfigChange, ConfigPreview),
  /** Write, commit, restart and watch as one job on the device; progress as `operation.changed` events. */
  'config.apply': command(ConfigChange, Operation),
  /** The device's config applies, newest first: running ones followed live, ended ones from their kept reports. */
  'operations.list': command(DeviceRefInput, z.array(Operation)),
  'pipelines.run': command(PipelineRequest, PipelineJob),
  'pipelines.list': command(DeviceRefInput, z.array(PipelineJob)),
  'pipelines.stop': command(DeviceRefInput.extend({ jobId: z.string().min(1).max(64) }), PipelineJob),
  'recordings.list': command(DeviceRefInput, z.array(Recording)),
  'recordings.start': command(RecordingsControl, RecorderState),
  /** Asks first (`confirm`, naming each file) unless `confirmed`. */
  'recordings.stop': command(RecordingsStop, RecorderControlResult),
  /** Deletes one recording; `confirmName` must repeat its name. */
  'recordings.delete': command(RecordingDelete, Ok),
  /**
   * The device's previewable paths with console-relative WHEP/HLS URLs, and the route in use (direct or through
   * SSH). `route` forces one; without it the console tries direct and falls back to the tunnel.
   */
  'previews.list': command(DeviceRefInput.extend({ route: PreviewRoute.optional() }), PreviewList),
  /** What an emergency VPU reset would stop on this device, and whether one is running. */
  'vpuReset.plan': command(DeviceRefInput, ResetPlan),
  /** Starts the reset as a detached job on the device; progress as `vpuReset.changed`. One per device. */
  'vpuReset.start': command(ResetStart, VpuReset),
  /** One reset's report (the latest without `id`), or null when the device never had one. */
  'vpuReset.get': command(ResetRef, VpuReset.nullable()),
  /** Past reports of a device, newest first. */
  'vpuReset.list': command(DeviceRefInput, z.array(VpuReset)),
  /** Reboots the device (offered when the kernel keeps its VPU sessions). `confirmName` must be its name. */
  'device.reboot': command(RebootRequest, Ok),
  /** Who holds the device's operation lease now, asked of the device (null: free). Reading takes nothing. */
  'lease.get': command(DeviceRefInput, DeviceLease.nullable()),
  /** What rolling the recorder checkout back to a commit would do (diff, restarts, recordings, budget, blocks). */
  'rollback.plan': command(RollbackRequest, RollbackPlan),
  /** Starts the rollback as a detached job on the device, holding its lease; progress as `rollback.changed`. */
  'rollback.start': command(RollbackStart, Rollback),
  /** One rollback (or the newest), live while it runs or from the reports kept in the data directory. */
  'rollback.get': command(RollbackRef, Rollback.nullable()),
  'rollback.list': command(DeviceRefInput, z.array(Rollback)),
  /**
   * The recorder checkout's commits that touch the encoder, newest first, with badges (HEAD, made by Tally or by
   * hand, qualification results from the notes ref, dangerous), and the dirty files. Reading: no lease.
   */
  'history.list': command(HistoryRef, History),
  /** What qualifying an encoder (seed 000's Tests 1–3) would do: subject, variant, recordings stopped, blocks. */
  'qualify.plan': command(QualifyRequest, QualifyPlan),
  /** Starts the qualification as a detached job on the device, holding its lease; progress as `qualify.changed`. */
  'qualify.start': command(QualifyStart, Qualification),
  /** One qualification (or the newest), live while it runs or from the reports kept in the data directory. */
  'qualify.get': command(QualifyRef, Qualification.nullable()),
  'qualify.list': command(DeviceRefInput, z.array(Qualification)),
  /** What the device's mixer reports now (read back after every reconnect). Reading: no lease. */
  'mixer.state': command(DeviceRefInput, MixerState),
  /** Starts the program compositor on the device (holds the lease while it starts); state as `mixer.changed`. */
  'mixer.start': command(MixerStartInput, MixerState),
  'mixer.stop': command(DeviceRefInput, MixerState),
  /** The scenes kept on the device, so every console sees the same. */
  'mixer.scenes.list': command(DeviceRefInput, SceneList),
  /** Saves a scene; refused with `conflict` when another console changed the scenes since `rev`. */
  'mixer.scenes.save': command(SceneSaveInput, SceneList),
  'mixer.scenes.delete': command(SceneDeleteInput, SceneList),
  /** Puts a scene on Preview (its inputs start decoding, off air). */
  'mixer.preview': command(PreviewInput, MixerState),
  /** The VPU sessions a scene would need next to what already runs, with the sum in words. */
  'mixer.preflight': command(PreflightInput, MixerPreflight),
  /** Takes Preview (or the given scene) to Program: applied at most once, within a short deadline, or not at all. */
  'mixer.take': command(TakeInput, TakeResult),
  /** The profiles a device can be given (id, kind, name), for the device form. */
  'profiles.list': command(z.object({}), z.array(ProfileChoice)),
  /** What the console found the box to be at connect, against its profile; null before it connected. */
  'device.kind': command(DeviceRefInput, KindFinding.nullable()),
  /** The container or unit doing the work of a transcoder or VMS host, read now. Reading: no lease. */
  'service.state': command(DeviceRefInput, ServiceState),
  /** Start, stop or restart it under the device's lease; stop and restart ask first (`confirm`). */
  'service.control': command(ServiceControl, ServiceControlResult),
  /** The service's last log lines (docker logs / journalctl); new ones arrive as `service.log`. */
  'service.logs': command(ServiceLogsRequest, z.array(ServiceLogLine)),
  /** A transcoder's health, metrics and GPU readings kept since it connected. */
  'health.history': command(DeviceRefInput, HealthHistory),
  /** A VMS host's cameras, segments, outputs and CPU, read now. */
  'segments.state': command(DeviceRefInput, VmsState),
  /** A transcoder's image tags or a VMS host's binary backups it could go back to, and what runs now. Reading. */
  'knownGood.candidates': command(DeviceRefInput, KnownGoodCandidates),
  /** What going back to one would do: what stops and for how long, what is kept, what the probation watches. */
  'knownGood.plan': command(KnownGoodRequest, KnownGoodPlan),
  /** Starts the switch as a detached job on the device, holding its lease; progress as `knownGood.changed`. */
  'knownGood.start': command(KnownGoodStart, KnownGoodSwitch),
  'knownGood.get': command(KnownGoodRef, KnownGoodSwitch.nullable()),
  'knownGood.list': command(DeviceRefInput, z.array(KnownGoodSwitch)),
  /** What qualifying a transcoder or VMS host (its seed's own test) would do. */
  'kindQualify.plan': command(KindQualifyRequest, KindQualifyPlan),
  /** Starts it as a detached job on the device, holding its lease; progress as `kindQualify.changed`. */
  'kindQualify.start': command(KindQualifyRequest, KindQualification),
  'kindQualify.get': command(KindQualifyRef, KindQualification.nullable()),
  'kindQualify.list': command(DeviceRefInput, z.array(KindQualification)),
} as const;

export type Commands = typeof commands;
export type CommandName = keyof Commands;
export type CommandInput<N extends CommandName> = z.input<Commands[N]['input']>;
export type CommandParsedInput<N extends CommandName> = z.output<Commands[N]['input']>;
export type CommandResult<N extends CommandName> = z.output<Commands[N]['result']>;

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(commands, name);
}
