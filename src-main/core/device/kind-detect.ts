/**
 * What kind of box is at the other end: one batched command asks for each profile's signature (the R58's recorder
 * unit, the transcoder's container, the VMS host's unit), and `judgeKind` weighs the answers against the profile the
 * user chose. The signatures come from the profiles' own data.
 */
import type { DeviceKind, KindFinding } from '../../contract/index.js';
import { KIND_LABELS, tabsOf } from '../../contract/index.js';
import { parseSections, section } from './batch.js';
import { kindWords, type DeviceProfile } from './profile.js';
import { argv, sh, sudo, unitName, type ShellCommand } from './quote.js';

/** The one thing that says "this is one of these": a unit that is loaded, or a container that exists. */
export interface KindSignature {
  profile: string;
  kind: DeviceKind;
  what: 'unit' | 'container';
  name: string;
}

export function signatureOf(profile: DeviceProfile): KindSignature {
  switch (profile.kind) {
    case 'r58':
      return { profile: profile.id, kind: 'r58', what: 'unit', name: profile.units.recorder };
    case 'transcoder':
      return { profile: profile.id, kind: 'transcoder', what: 'container', name: profile.service.container };
    case 'vms':
      return { profile: profile.id, kind: 'vms', what: 'unit', name: profile.service.unit };
  }
}

function signatureCommand(sig: KindSignature): ShellCommand {
  if (sig.what === 'unit') return sh`systemctl show -p LoadState,ActiveState ${unitName(sig.name)}`;
  // `{{json .}}` is the one format every docker (and the emulated one) answers; the state is read from it.
  return sudo(argv('docker', 'inspect', '--format', '{{json .}}', sig.name));
}

export function detectCommand(signatures: KindSignature[]): ShellCommand {
  const parts = signatures.map((sig, i) => section(`sig:${i}`, signatureCommand(sig)));
  return parts.reduce((all, part) => sh`${all}; ${part}`);
}

interface Seen {
  sig: KindSignature;
  present: boolean;
  line: string;
}

function readSignature(sig: KindSignature, text: string, code: number | null): Seen {
  const label = `${sig.what} ${sig.name}`;
  if (sig.what === 'unit') {
    const fields = new Map(
      text
        .split('\n')
        .map((l) => l.split('=') as [string, string?])
        .filter((kv): kv is [string, string] => kv[1] !== undefined),
    );
    const load = fields.get('LoadState');
    const present = code === 0 && load === 'loaded';
    return {
      sig,
      present,
      line: present ? `${label}: ${fields.get('ActiveState') ?? 'loaded'}` : `${label}: not found`,
    };
  }
  const state = containerStatus(text);
  const present = code === 0 && /^[a-z]+$/.test(state);
  if (present) return { sig, present, line: `${label}: ${state}` };
  const why = /permission denied|password is required|a terminal is required/i.test(text)
    ? 'docker cannot be asked (sudo needs a password)'
    : /not found|No such/i.test(text)
      ? 'not found'
      : 'docker did not answer';
  return { sig, present, line: `${label}: ${why}` };
}

/** The container's state from `docker inspect --format '{{json .}}'` (a bare state word is taken as it is). */
function containerStatus(text: string): string {
  const last = text.trim().split('\n').at(-1)?.trim() ?? '';
  if (!last.startsWith('{')) return last;
  try {
    const status = (JSON.parse(last) as { State?: { Status?: unknown } }).State?.Status;
    return typeof status === 'string' ? status : '';
  } catch {
    return '';
  }
}

/** The finding from the detect command's output, for a device set to `chosen`. */
export function judgeKind(
  deviceId: string,
  chosen: DeviceProfile,
  signatures: KindSignature[],
  stdout: string,
  at: Date = new Date(),
): KindFinding {
  const sections = parseSections(stdout);
  const seen = signatures.map((sig, i) => {
    const s = sections.get(`sig:${i}`);
    return readSignature(sig, s?.text ?? '', s?.code ?? null);
  });
  const own = seen.find((s) => s.sig.profile === chosen.id && s.present);
  const other = seen.find((s) => s.present && s.sig.kind !== chosen.kind);
  const detected = own ? chosen.kind : (other?.sig.kind ?? null);
  const match = own ? 'confirmed' : detected ? 'mismatch' : 'unknown';
  const evidence = seen.map((s) => s.line);
  const summary =
    match === 'confirmed'
      ? `This is ${kindWords(chosen.kind)}, as its profile says (${own?.line}).`
      : match === 'mismatch' && other
        ? `This box looks like ${kindWords(other.sig.kind)} (${other.line}), but its profile is ${KIND_LABELS[chosen.kind]}. ` +
          `Set its profile to ${KIND_LABELS[other.sig.kind]} in the device's settings.`
        : `This box shows none of the signs of ${kindWords(chosen.kind)} (${seen.find((s) => s.sig.profile === chosen.id)?.line ?? 'nothing to check'}). ` +
          'Check that the service is installed, or pick the right profile in the device settings.';
  return {
    deviceId,
    at: at.toISOString(),
    profile: chosen.id,
    kind: chosen.kind,
    detected,
    match,
    evidence,
    summary,
    tabs: tabsOf(chosen.kind, chosen.kind !== 'r58' || chosen.mixer !== undefined),
  };
}

/** For a device set to `auto`: the profile whose signature the box shows (the first, in profile order), or null. */
export function pickKind(
  deviceId: string,
  profiles: DeviceProfile[],
  stdout: string,
  at: Date = new Date(),
): { picked: DeviceProfile | null; finding: KindFinding } {
  const signatures = profiles.map(signatureOf);
  const sections = parseSections(stdout);
  const seen = signatures.map((sig, i) => {
    const s = sections.get(`sig:${i}`);
    return readSignature(sig, s?.text ?? '', s?.code ?? null);
  });
  const hit = seen.findIndex((s) => s.present);
  const picked = hit >= 0 ? (profiles[hit] ?? null) : null;
  const evidence = seen.map((s) => s.line);
  return {
    picked,
    finding: {
      deviceId,
      at: at.toISOString(),
      profile: 'auto',
      kind: picked?.kind ?? null,
      detected: picked?.kind ?? null,
      match: picked ? 'confirmed' : 'unknown',
      evidence,
      summary: picked
        ? `This box is ${kindWords(picked.kind)} (${seen[hit]?.line}): its profile is now ${KIND_LABELS[picked.kind]}.`
        : `Tally could not tell what kind of box this is (${evidence.join('; ')}). Pick its profile in the device settings.`,
      tabs: ['overview', 'monitor', 'terminal'],
    },
  };
}
