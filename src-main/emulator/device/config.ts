/**
 * What the launcher (src-main/emulator/namespace.ts) tells the device daemon, as one JSON file. Paths are as the
 * device sees them; the launcher has already mounted everything (see namespace.ts) before the daemon starts.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { EMULATOR_KINDS } from '../kinds/kinds.js';

export const DAEMON_SOCKET = '/run/tally-emu/daemon.sock';
export const MPP_DEBUGFS_DIR = '/sys/kernel/debug/mpp_service';

const deviceConfigSchema = z.object({
  /** Which box this is (kinds/kinds.ts): the R58 (default), the GPU transcoder or the VMS recorder host. */
  kind: z.enum(EMULATOR_KINDS).default('r58'),
  /** VMS: seconds per recording segment (`-segment_time`), and whether an `nvidia-smi` stand-in is installed. */
  segmentSeconds: z.number().int().min(1).max(3600).default(180),
  nvidia: z.boolean().default(false),
  /** The Tally checkout, for the unit commands (recorder, media server) and tsx. */
  repoRoot: z.string().startsWith('/'),
  hostname: z.string().regex(/^[a-z0-9-]{1,63}$/),
  /** 0 on a light box (no video); see `light`. */
  cameras: z.number().int().min(0).max(16),
  /**
   * A light box for fleet tests: no video work. With no cameras, `mediamtx` is an API-only stand-in
   * (light-mediamtx.py: no paths, nothing listens for media), no mixer decoder warm-up, and /proc/stat is rewritten
   * once a second instead of four times.
   */
  light: z.boolean().default(false),
  /** /etc/machine-id of this box (32 hex digits); the journal's _MACHINE_ID. */
  machineId: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .optional(),
  /** The login user that exists only inside the device. */
  user: z.object({ name: z.string(), uid: z.number().int(), gid: z.number().int() }),
  /** sshd_config for the device's OpenSSH server. */
  sshdConfig: z.string().startsWith('/'),
  /** systemd's TimeoutStopSec: SIGTERM, then SIGKILL after this long. */
  stopTimeoutMs: z.number().int().positive(),
  /** systemd's RestartSec for units that restart on failure. */
  restartDelayMs: z.number().int().nonnegative(),
  /** VPU sessions the kernel model allows before it refuses an open (seed 002: 8 in practice, 16 in theory). */
  vpuMaxSessions: z.number().int().min(1).max(64).default(8),
  /**
   * The product profile's CPU figures and the mixer's software decoder, for the modelled /proc/stat (cpu-load.ts);
   * absent: /proc/stat keeps counting at the profile's base figure only.
   */
  cpu: z
    .object({
      safePercent: z.number(),
      practicalPercent: z.number(),
      basePercent: z.tuple([z.number(), z.number()]),
      perStream: z.record(z.string(), z.tuple([z.number(), z.number()])),
      perSmallStream: z.record(z.string(), z.tuple([z.number(), z.number()])),
      softwareDecoder: z.string(),
    })
    .optional(),
});

export type DeviceConfig = z.infer<typeof deviceConfigSchema>;

export function readDeviceConfig(file: string): DeviceConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`Cannot read the device config ${file}: ${(err as Error).message}`);
  }
  const parsed = deviceConfigSchema.safeParse(raw);
  if (!parsed.success)
    throw new Error(
      `The device config ${file} is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}
