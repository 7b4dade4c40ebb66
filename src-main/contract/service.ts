import { z } from 'zod';
const DeviceId = z.string().min(1).max(64);

/**
 * The service that does a box's work when it is not an R58 recorder: a Docker container (the transcoder) or a
 * systemd unit (the VMS host).
 */
export const ServiceRunState = z.enum([
  'running',
  'starting',
  'restarting',
  'stopped',
  'exited',
  'failed',
  'missing',
  'unknown',
]);
export type ServiceRunState = z.infer<typeof ServiceRunState>;

export const ServiceState = z.object({
  deviceId: z.string(),
  manager: z.enum(['docker', 'systemd']),
  /** Container or unit name. */
  name: z.string(),
  state: ServiceRunState,
  /** As the manager says it, e.g. `Up 2 hours`, `active (running)`, `Exited (1) 3 seconds ago`. */
  detail: z.string(),
  /** ISO time it entered this state, when known. */
  since: z.string().nullable(),
  /** Docker's RestartCount or systemd's NRestarts. */
  restarts: z.number().int().nullable(),
  restartPolicy: z.string().nullable(),
  /** What runs: the image reference (docker) or the binary path (systemd). */
  runs: z.string().nullable(),
  /** The image id (docker) or the binary's checksum (systemd), when read. */
  runsId: z.string().nullable(),
  pid: z.number().int().nullable(),
  exitCode: z.number().int().nullable(),
  /** Console wall clock (ms) of the reading. */
  at: z.number(),
});
export type ServiceState = z.infer<typeof ServiceState>;

export const ServiceAction = z.enum(['start', 'stop', 'restart']);
export type ServiceAction = z.infer<typeof ServiceAction>;

export const ServiceControl = z.object({
  deviceId: DeviceId,
  action: ServiceAction,
  /** Stop and restart interrupt the box's work: set once the producer has seen what stops. */
  confirmed: z.boolean().default(false),
});
export type ServiceControl = z.infer<typeof ServiceControl>;

export const ServiceControlResult = z.object({
  state: ServiceState,
  message: z.string(),
  /**
   * `confirm`: nothing was done; `message` says what stopping or restarting would interrupt, and the same call with
   * `confirmed` does it. Absent or `done`: it was done, and `state` is the service after it.
   */
  kind: z.enum(['done', 'confirm']).optional(),
});
export type ServiceControlResult = z.infer<typeof ServiceControlResult>;

export const ServiceLogLine = z.object({ at: z.string().nullable(), text: z.string() });
export type ServiceLogLine = z.infer<typeof ServiceLogLine>;

export const ServiceLogsRequest = z.object({
  deviceId: DeviceId,
  lines: z.number().int().min(1).max(5000).default(200),
});
