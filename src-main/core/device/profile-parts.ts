/** The pieces every kind of device profile is built from. */
import { z } from 'zod';

export const AbsolutePath = z.string().regex(/^\/[A-Za-z0-9_./-]+$/, 'an absolute path of plain characters');
export const RelativePath = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_./-]*$/, 'a relative path of plain characters');
export const UnitName = z.string().regex(/^[A-Za-z0-9@_.-]{1,64}$/, 'a systemd unit name');
export const Port = z.number().int().min(1).max(65535);
export const ElementName = z.string().regex(/^[a-z0-9_]{1,40}$/, 'a GStreamer element name');
/** `[low, high]` percent of the whole board (all cores = 100). */
export const CpuFigure = z
  .tuple([z.number().min(0).max(100), z.number().min(0).max(100)])
  .refine(([low, high]) => low <= high, 'low must not exceed high');

/** What every kind of box has: a name, a login, a model, temperatures and the Monitor's pace. */
export const Common = {
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/),
  name: z.string().min(1),
  login: z.object({ user: z.string().min(1) }),
  model: z.string().min(1),
  thermal: z.object({ warnC: z.number(), criticalC: z.number() }),
  monitor: z.object({
    sampleIntervalMs: z.number().int().min(250).max(60_000),
    backlogLines: z.number().int().min(0).max(100_000),
  }),
};
