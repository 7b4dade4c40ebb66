/**
 * Device profiles: the facts about a kind of box (`resources/profiles/<id>.yaml`), validated once and cached.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { ContractError } from '../../contract/index.js';
import { packageRoot } from '../../paths.js';

const AbsolutePath = z.string().regex(/^\/[A-Za-z0-9_./-]+$/, 'an absolute path of plain characters');
const RelativePath = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_./-]*$/, 'a relative path of plain characters');
const UnitName = z.string().regex(/^[A-Za-z0-9@_.-]{1,64}$/, 'a systemd unit name');
const Port = z.number().int().min(1).max(65535);
const ElementName = z.string().regex(/^[a-z0-9_]{1,40}$/, 'a GStreamer element name');
/** `[low, high]` percent of the whole board (all cores = 100). */
const CpuFigure = z
  .tuple([z.number().min(0).max(100), z.number().min(0).max(100)])
  .refine(([low, high]) => low <= high, 'low must not exceed high');

export const DeviceProfile = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/),
    name: z.string().min(1),
    login: z.object({ user: z.string().min(1) }),
    model: z.string().min(1),
    units: z.object({
      recorder: UnitName,
      mediaServer: UnitName,
      legacy: z.array(UnitName),
    }),
    repo: z.object({ path: AbsolutePath, config: RelativePath, pipelines: RelativePath }),
    cameras: z.array(z.string().regex(/^[A-Za-z0-9_-]{1,32}$/)).min(1),
    recorderApi: z.object({
      port: Port,
      /**
       * Camera-by-camera ingest control, for bringing cameras up one at a time after a reset. Without it the
       * recorder starts every camera itself and they are checked together.
       */
      ingest: z
        .object({
          start: z.string().regex(/^\/[a-z0-9/_-]+$/),
          stop: z.string().regex(/^\/[a-z0-9/_-]+$/),
          /** While this file exists when the recorder starts, it starts no camera (and removes the file). */
          holdFile: AbsolutePath,
        })
        .optional(),
    }),
    recordings: z.object({ dir: AbsolutePath }),
    mediamtx: z.object({
      rtspPort: Port,
      whepPort: Port,
      hlsPort: Port,
      apiPort: Port,
      apiHost: z.string().regex(/^[0-9a-f.:]+$|^localhost$/),
    }),
    vpu: z.object({
      sessionFiles: z.array(AbsolutePath).min(1),
      safeLimit: z.number().int().min(1),
      practicalLimit: z.number().int().min(1),
    }),
    thermal: z.object({ warnC: z.number(), criticalC: z.number() }),
    /**
     * What encoding costs the board's CPU, in percent of the whole board (all cores = 100, the unit of the monitor's
     * CPU reading), and the limits the budget holds plans to. Absent: CPU is not budgeted on this kind of box.
     */
    cpu: z
      .object({
        safePercent: z.number().min(1).max(100),
        practicalPercent: z.number().min(1).max(100),
        /** The rest of the board (system, recorder service, media server) when there is no reading to go by. */
        basePercent: CpuFigure,
        /** Per stream of a camera, by element. */
        perStream: z.record(ElementName, CpuFigure),
        /** Per smaller stream (a preview, the mixer output), where it differs from `perStream`. */
        perSmallStream: z.record(ElementName, CpuFigure).default({}),
      })
      .refine((c) => c.safePercent <= c.practicalPercent, 'cpu.safePercent must not exceed practicalPercent')
      .optional(),
    /**
     * How the box's scene mixer is driven. `agent`: Tally's mixer agent (a Python/GStreamer program Tally ships)
     * runs on the box as a detached job. Absent: the box has no mixer Tally can drive.
     */
    mixer: z
      .object({
        driver: z.literal('agent'),
        python: AbsolutePath,
        /** One VPU session per input; the software fallback takes none (seed 002). */
        decoder: ElementName,
        softwareDecoder: ElementName,
        output: z.object({
          path: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/),
          width: z.number().int().min(160).max(3840),
          height: z.number().int().min(90).max(2160),
          fps: z.number().int().min(1).max(60),
          bitrateKbps: z.number().int().min(200).max(50_000),
        }),
        /** A take that cannot reach the box within this is dropped there, never applied late. */
        takeDeadlineMs: z.number().int().min(100).max(10_000),
      })
      .optional(),
    monitor: z.object({
      sampleIntervalMs: z.number().int().min(250).max(60_000),
      backlogLines: z.number().int().min(0).max(100_000),
    }),
  })
  .refine((p) => p.vpu.safeLimit <= p.vpu.practicalLimit, 'vpu.safeLimit must not exceed practicalLimit')
  .refine((p) => p.thermal.warnC <= p.thermal.criticalC, 'thermal.warnC must not exceed criticalC');
export type DeviceProfile = z.infer<typeof DeviceProfile>;
export type CpuProfile = NonNullable<DeviceProfile['cpu']>;

export const DEFAULT_PROFILE = 'r58';

const cache = new Map<string, DeviceProfile>();

export function profilesDir(): string {
  return path.join(packageRoot(), 'resources', 'profiles');
}

/** The ids of the profiles that exist (`<id>.yaml` in the profiles folder). */
export function profileIds(dir: string = profilesDir()): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.slice(0, -'.yaml'.length))
      .sort();
  } catch {
    return [];
  }
}

function unknownProfile(id: string, dir: string): ContractError {
  const ids = profileIds(dir);
  return new ContractError(
    'invalid_input',
    `Unknown device profile ${JSON.stringify(id)}: the profiles are ${ids.join(', ') || 'none (the profiles folder is empty)'}. ` +
      `Pick one in the device's settings; Tally never drives a box with another model's units and paths.`,
  );
}

/** The profile with this id; an unknown id, a missing or an invalid file is an error that says what is wrong. */
export function loadProfile(id: string, dir: string = profilesDir()): DeviceProfile {
  const key = `${dir}\0${id}`;
  const known = cache.get(key);
  if (known) return known;
  if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(id)) throw unknownProfile(id, dir);
  const file = path.join(dir, `${id}.yaml`);
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw unknownProfile(id, dir);
    throw new ContractError(
      'invalid_input',
      `The device profile ${file} cannot be read: ${(err as Error).message}.`,
    );
  }
  const parsed = DeviceProfile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ContractError(
      'internal',
      `The device profile ${file} is invalid at ${issue?.path.join('.') || 'the top'}: ${issue?.message ?? 'unknown problem'}.`,
    );
  }
  cache.set(key, parsed.data);
  return parsed.data;
}

/** The profile of a device in the list: one lookup for every capability. An unknown id is an error. */
export function deviceProfile(
  store: { device(id: string): { profile: string } | undefined },
  deviceId: string,
): DeviceProfile {
  const device = store.device(deviceId);
  if (!device) throw new ContractError('not_found', 'That device is not in the list any more.');
  return loadProfile(device.profile);
}
