import { z } from 'zod';

/** One Prometheus sample as read from the box's /metrics. */
export const MetricSample = z.object({
  name: z.string(),
  labels: z.record(z.string(), z.string()),
  /** `Infinity`, `-Infinity` and `NaN` travel as null with `special` set. */
  value: z.number().nullable(),
  special: z.enum(['+Inf', '-Inf', 'NaN']).optional(),
});
export type MetricSample = z.infer<typeof MetricSample>;

/** A reading of a transcoder's health endpoint, its metrics and its GPU, every couple of seconds. */
export const HealthSample = z.object({
  /** Console wall clock (ms). */
  at: z.number(),
  /** The health endpoint answered at all (any HTTP status). */
  reachable: z.boolean(),
  httpStatus: z.number().int().nullable(),
  /** 2xx and every required field true; null when it could not be read. */
  healthy: z.boolean().nullable(),
  /** Why it is not healthy or could not be read, in words a producer can act on. */
  problem: z.string().nullable(),
  /** The health JSON's top-level scalar fields. */
  fields: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  /** Required fields (profile `health.requireTrue`) that are not true, e.g. `vaapi_available`. */
  failing: z.array(z.string()),
  /** Transcodes running now (health field or metric). */
  sessions: z.number().nullable(),
  /** FFmpeg restarts since the service started (metric). */
  ffmpegRestarts: z.number().nullable(),
  memoryBytes: z.number().nullable(),
  /** Why /metrics gave nothing usable (absent, not Prometheus text); null when it was read. */
  metricsProblem: z.string().nullable(),
  /** The metrics read (the first 200). */
  metrics: z.array(MetricSample),
  gpuBusyPercent: z.number().nullable(),
  gpuProblem: z.string().nullable(),
});
export type HealthSample = z.infer<typeof HealthSample>;

export const HealthHistory = z.object({ deviceId: z.string(), samples: z.array(HealthSample) });
export type HealthHistory = z.infer<typeof HealthHistory>;
