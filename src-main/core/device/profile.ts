/**
 * Device profiles: the facts about a kind of box (`resources/profiles/<id>.yaml`), validated once and cached.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { ContractError } from '../../contract/index.js';
import { packageRoot } from '../../paths.js';
import {
  TranscoderProfile,
  VmsProfile,
  type TranscoderProfile as TranscoderProfileT,
  type VmsProfile as VmsProfileT,
} from './profile-kinds.js';
import {
  AbsolutePath,
  Common,
  CpuFigure,
  ElementName,
  Port,
  RelativePath,
  UnitName,
} from './profile-parts.js';

export const R58Profile = z
  .object({
    ...Common,
    kind: z.literal('r58'),
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
  })
  .refine((p) => p.vpu.safeLimit <= p.vpu.practicalLimit, 'vpu.safeLimit must not exceed practicalLimit')
  .refine((p) => p.thermal.warnC <= p.thermal.criticalC, 'thermal.warnC must not exceed criticalC');
export type R58Profile = z.infer<typeof R58Profile>;
export type CpuProfile = NonNullable<R58Profile['cpu']>;

/** Any kind of box's profile; `kind` says which. */
export const DeviceProfile = z.discriminatedUnion('kind', [R58Profile, TranscoderProfile, VmsProfile]);
export type DeviceProfile = z.infer<typeof DeviceProfile>;
export type { TranscoderProfileT as TranscoderProfile, VmsProfileT as VmsProfile };
export type DeviceKind = DeviceProfile['kind'];

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
export function loadAnyProfile(id: string, dir: string = profilesDir()): DeviceProfile {
  const key = `${dir}\0${id}`;
  const known = cache.get(key);
  if (known) return known;
  if (id === 'auto')
    throw new ContractError(
      'unavailable',
      'Tally is finding out what kind of box this is; its screens fill in once it knows.',
    );
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

const KIND_WORDS: Record<DeviceKind, string> = {
  r58: 'an R58 recorder',
  transcoder: 'a GPU transcoder',
  vms: 'a VMS recorder host',
};

/** How a kind of box is named in a sentence ("a GPU transcoder"). */
export function kindWords(kind: DeviceKind): string {
  return KIND_WORDS[kind];
}

/** The R58 profile with this id; a profile of another kind is refused with a sentence. */
export function loadProfile(id: string, dir: string = profilesDir()): R58Profile {
  const profile = loadAnyProfile(id, dir);
  if (profile.kind !== 'r58') {
    throw new ContractError(
      'invalid_input',
      `The profile ${JSON.stringify(id)} is for ${kindWords(profile.kind)}; this part of Tally drives R58 recorders only.`,
    );
  }
  return profile;
}

type ProfileStore = { device(id: string): { profile: string; name?: string } | undefined };

/** The profile of a device in the list, of any kind: one lookup for every capability. An unknown id is an error. */
export function anyProfile(store: ProfileStore, deviceId: string): DeviceProfile {
  const device = store.device(deviceId);
  if (!device) throw new ContractError('not_found', 'That device is not in the list any more.');
  return loadAnyProfile(device.profile);
}

/** The profile of an R58 in the list; another kind of box is refused, naming the box and what it is. */
export function deviceProfile(store: ProfileStore, deviceId: string): R58Profile {
  const profile = anyProfile(store, deviceId);
  if (profile.kind !== 'r58') {
    const name = store.device(deviceId)?.name ?? deviceId;
    throw new ContractError(
      'invalid_input',
      `${name} is ${kindWords(profile.kind)}, not an R58 recorder: this works on R58 boxes only.`,
    );
  }
  return profile;
}

/** The kind of box a device in the list is, or null when it is gone or its profile cannot be read. */
export function deviceKind(store: ProfileStore, deviceId: string): DeviceKind | null {
  try {
    return anyProfile(store, deviceId).kind;
  } catch {
    return null;
  }
}
