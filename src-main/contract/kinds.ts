import { z } from 'zod';

/** The kinds of box Tally drives; each has its profile (`resources/profiles`) and its own screens. */
export const DEVICE_KINDS = ['r58', 'transcoder', 'vms'] as const;
export const DeviceKind = z.enum(DEVICE_KINDS);
export type DeviceKind = z.infer<typeof DeviceKind>;

export const KIND_LABELS: Record<DeviceKind, string> = {
  r58: 'R58 recorder',
  transcoder: 'GPU transcoder',
  vms: 'VMS recorder host',
};

/** The device screens. Which of them a box has depends on its kind (`tabsOf`). */
export const DEVICE_TABS = [
  'overview',
  'monitor',
  'recorder',
  'previews',
  'mixer',
  'service',
  'terminal',
] as const;
export const DeviceTab = z.enum(DEVICE_TABS);
export type DeviceTab = z.infer<typeof DeviceTab>;

const TABS: Record<DeviceKind, readonly DeviceTab[]> = {
  r58: ['overview', 'monitor', 'recorder', 'previews', 'mixer', 'terminal'],
  transcoder: ['overview', 'monitor', 'service', 'terminal'],
  vms: ['overview', 'monitor', 'service', 'terminal'],
};

/** The screens of a kind of box; `hasMixer: false` drops the Mixer (a profile without one). */
export function tabsOf(kind: DeviceKind, hasMixer = true): DeviceTab[] {
  return TABS[kind].filter((t) => t !== 'mixer' || hasMixer);
}

/** The profile of a device whose kind the console finds at connect and then sets. */
export const AUTO_PROFILE = 'auto';

/** A profile a device can be given, for the device form. */
export const ProfileChoice = z.object({ id: z.string(), kind: DeviceKind, name: z.string() });
export type ProfileChoice = z.infer<typeof ProfileChoice>;

/** What the console found a box to be when it connected, against the profile the user chose for it. */
export const KindFinding = z.object({
  deviceId: z.string(),
  at: z.string(),
  /** The profile the device is set to (`auto`: found at connect), and its kind (null: `auto` and nothing found). */
  profile: z.string(),
  kind: DeviceKind.nullable(),
  /** The kind the box looks like, or null when it looks like none of them. */
  detected: DeviceKind.nullable(),
  /** `confirmed`: the box is what its profile says; `mismatch`: it looks like another kind; `unknown`: like none. */
  match: z.enum(['confirmed', 'mismatch', 'unknown']),
  /** What was looked at and found, one line each (e.g. `container xg2g-transcoder: running`). */
  evidence: z.array(z.string()),
  /** One sentence for the producer. */
  summary: z.string(),
  /** The screens this box has. */
  tabs: z.array(DeviceTab),
});
export type KindFinding = z.infer<typeof KindFinding>;
