/**
 * The profiles of the kinds of box beside the R58 (seeds 003 and 004): a GPU transcoder in a Docker container, and a
 * VMS recorder host with one FFmpeg per camera. Only data: where the service, health, load and media are.
 */
import { z } from 'zod';
import { AbsolutePath, Common, UnitName } from './profile-parts.js';

const ContainerName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a Docker container name');
const ImageRepository = z.string().regex(/^[a-z0-9][a-z0-9._/-]{0,127}$/, 'a Docker image repository');
const ImageTag = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'a Docker image tag');
/** A URL the box answers on its own loopback; read through the SSH connection, never from the laptop. */
const LoopbackUrl = z
  .string()
  .regex(/^http:\/\/(127\.0\.0\.1|localhost)(:\d{1,5})?\/[A-Za-z0-9_./?=&%-]*$/, 'an http URL on 127.0.0.1');
const MetricName = z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'a Prometheus metric name');
const FieldName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'a JSON field name');
const Percent = z.number().min(0).max(100);

export const TranscoderProfile = z
  .object({
    ...Common,
    kind: z.literal('transcoder'),
    service: z.object({
      manager: z.literal('docker'),
      container: ContainerName,
      /** The compose file that (re)creates the container from the image its tag points at. */
      compose: z.object({ file: AbsolutePath, service: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/) }),
    }),
    /** The unit of change for known-good: which tag the container runs. */
    image: z.object({ repository: ImageRepository, tag: ImageTag }),
    health: z.object({
      url: LoopbackUrl,
      /** Fields of the health JSON that must be `true`; each false one is its own alarm (seed 003: vaapi_available). */
      requireTrue: z.array(FieldName),
      /** The health JSON field with the number of transcodes running, if it has one. */
      sessionsField: FieldName.optional(),
    }),
    /** Prometheus text. Optional on the box: when it does not answer, the console says so and goes on. */
    metrics: z.object({
      url: LoopbackUrl,
      names: z.object({
        sessions: MetricName,
        ffmpegRestarts: MetricName,
        memoryBytes: MetricName.optional(),
      }),
    }),
    gpu: z.object({
      /** The DRM sysfs file(s) with the GPU's busy percent; a glob over the card number. */
      busyGlob: z.string().regex(/^\/sys\/[A-Za-z0-9_./*-]+$/, 'a /sys path, with * for the card number'),
      warnPercent: Percent,
    }),
    /** The seed's targets: CPU of the whole box, memory of the container. */
    load: z.object({ cpuWarnPercent: Percent, memoryWarnBytes: z.number().int().positive() }),
    qualify: z.object({
      /** The test source the qualification transcodes from (the venue's receiver); null: the user gives one. */
      sourceUrl: z
        .string()
        .regex(/^https?:\/\/[^\s'"]+$/)
        .nullable(),
      seconds: z.number().int().min(3).max(120),
      startupMaxS: z.number().min(0.5).max(30),
      minSpeed: z.number().min(0.1).max(10),
    }),
    /** How long a switched image must stay healthy before it counts as good. */
    knownGood: z.object({ probationS: z.number().int().min(3).max(600) }),
  })
  .refine((p) => p.thermal.warnC <= p.thermal.criticalC, 'thermal.warnC must not exceed criticalC');
export type TranscoderProfile = z.infer<typeof TranscoderProfile>;

export const VmsProfile = z
  .object({
    ...Common,
    kind: z.literal('vms'),
    service: z.object({ manager: z.literal('systemd'), unit: UnitName }),
    /** The deployed binary; its backups sit beside it as `<name>.<suffix>` (seed 004: `.before-phase3`). */
    binary: z.object({ path: AbsolutePath }),
    /** One process per camera; the camera is named by its recording pattern in the process's arguments. */
    cameras: z.object({ process: z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/) }),
    recordings: z.object({
      dir: AbsolutePath,
      /** Segment length when the process's own `-segment_time` cannot be read. */
      segmentS: z.number().int().min(1).max(86_400),
      /** How late a segment may be before it is an alarm. */
      graceS: z.number().int().min(1).max(3600),
      codec: z.string().regex(/^[a-z0-9]{2,16}$/),
    }),
    live: z.object({
      urlPrefix: z.string().regex(/^rtsp:\/\/(127\.0\.0\.1|localhost)(:\d{1,5})?\/[A-Za-z0-9_/-]*$/),
      codec: z.string().regex(/^[a-z0-9]{2,16}$/),
    }),
    cpu: z.object({
      /** Percent of one core per camera (seed 004's unit), above which it is an alarm. */
      budgetPerCameraPercent: z.number().min(1).max(800),
      /** Seed 004's test: this many samples, this far apart. */
      samples: z.number().int().min(2).max(60),
      everyS: z.number().int().min(1).max(60),
      /** How far above its own baseline a qualification may be and still pass (0.15 = 15 %). */
      tolerance: z.number().min(0).max(2),
    }),
    nvidia: z.object({
      /** NVENC sessions the card allows at once, when known. */
      sessionLimit: z.number().int().min(1).nullable(),
    }),
    knownGood: z.object({ probationS: z.number().int().min(3).max(600) }),
  })
  .refine((p) => p.thermal.warnC <= p.thermal.criticalC, 'thermal.warnC must not exceed criticalC');
export type VmsProfile = z.infer<typeof VmsProfile>;
