/**
 * Which kind of box a device is and which screens it has, from what the renderer holds: the console's finding at
 * connect (`device.kind`) when there is one, else the kind of the profile the device is set to. Pure.
 */
import {
  AUTO_PROFILE,
  KIND_LABELS,
  tabsOf,
  type DeviceKind,
  type DeviceTab,
  type KindFinding,
  type ProfileChoice,
} from '../../src-main/contract/index.js';

export interface KindedDevice {
  id: string;
  profile: string;
}

/**
 * The device's kind: the finding's (it names the profile's kind), else its profile's, else r58 (the default); null
 * while a device set to `auto` has not been found to be anything.
 */
export function kindOf(
  device: KindedDevice,
  profiles: readonly ProfileChoice[],
  finding: KindFinding | null | undefined,
): DeviceKind | null {
  if (finding && finding.profile === device.profile && finding.kind) return finding.kind;
  if (device.profile === AUTO_PROFILE) return null;
  return profiles.find((p) => p.id === device.profile)?.kind ?? 'r58';
}

/** The screens the device has, in the order they are shown. */
export function tabsOfDevice(
  device: KindedDevice,
  profiles: readonly ProfileChoice[],
  finding: KindFinding | null | undefined,
): DeviceTab[] {
  // The finding knows more (a profile without a mixer has no Mixer tab).
  if (finding && finding.profile === device.profile && finding.tabs.length > 0) return finding.tabs;
  const kind = kindOf(device, profiles, finding);
  // A box whose kind is found at connect has only the screens every kind has until then.
  return kind ? tabsOf(kind) : ['overview', 'monitor', 'terminal'];
}

/** The tab to show: the one asked for when the device has it, else its Overview. */
export function shownTab<T extends string>(asked: T, tabs: readonly string[]): T | 'overview' {
  return tabs.includes(asked) ? asked : 'overview';
}

export const TAB_LABELS: Record<DeviceTab, string> = {
  overview: 'Overview',
  monitor: 'Monitor',
  recorder: 'Recorder',
  previews: 'Previews',
  mixer: 'Mixer',
  service: 'Service',
  terminal: 'Terminal',
};

/** "the GPU transcoder profile". */
export function kindWords(kind: DeviceKind): string {
  return KIND_LABELS[kind];
}

export interface ProfileSwitch {
  /** The profile to switch to. */
  profileId: string;
  kind: DeviceKind;
  /** The button's words: "Use the GPU transcoder profile". */
  label: string;
  /** The finding's summary. */
  text: string;
}

/**
 * What the Overview offers when the box looks like another kind than its profile says: the profile of that kind
 * (the one named after the kind when there are several), or null when there is nothing to offer.
 */
export function profileSwitch(
  finding: KindFinding | null | undefined,
  profiles: readonly ProfileChoice[],
): ProfileSwitch | null {
  if (!finding || finding.match !== 'mismatch' || finding.detected === null) return null;
  const detected = finding.detected;
  const candidates = profiles.filter((p) => p.kind === detected);
  const pick = candidates.find((p) => p.id === detected) ?? candidates[0];
  if (!pick) return null;
  return {
    profileId: pick.id,
    kind: detected,
    label: `Use the ${kindWords(detected)} profile`,
    text: finding.summary,
  };
}

/** A profile as the device form lists it: "GPU transcoder (xg2g, seed 003) — GPU transcoder". */
export function profileOptionText(p: ProfileChoice): string {
  return p.name.toLowerCase().includes(KIND_LABELS[p.kind].toLowerCase())
    ? p.name
    : `${p.name} — ${KIND_LABELS[p.kind]}`;
}

/**
 * The device form's choices: every profile the core lists, and the device's current one even when the core does
 * not list it (a profile file removed), so editing does not change it silently.
 */
export function profileOptions(
  profiles: readonly ProfileChoice[],
  current: string,
): { id: string; text: string }[] {
  const out = profiles.map((p) => ({ id: p.id, text: profileOptionText(p) }));
  out.push({ id: AUTO_PROFILE, text: 'Find out at connect (auto)' });
  if (current !== '' && current !== AUTO_PROFILE && !profiles.some((p) => p.id === current))
    out.push({ id: current, text: `${current} (not found)` });
  return out;
}
