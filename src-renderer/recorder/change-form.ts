/** The "apply a change" form: what the producer chose, as the ConfigChange the core previews and applies. */
import type { ConfigChangeInput, Danger, PresetId } from '../../src-main/contract/index.js';
import { parseKbps } from './encoder-text.js';

export interface ChangeForm {
  /** All cameras, or only those in `cameras`. */
  allCameras: boolean;
  cameras: string[];
  preset: PresetId;
  /** As typed, kbit/s; empty means the preset's default. */
  bitrate: string;
  /** Use `encoder` (typed) instead of the preset's encoder. */
  custom: boolean;
  encoder: string;
  /** The producer's explicit override of a dangerous setting. */
  override: boolean;
}

export type ChangeField = 'cameras' | 'preset' | 'bitrate' | 'encoder' | 'override';

/** Which error paths each field of the form shows. */
export const CHANGE_FIELDS: Readonly<Record<ChangeField, readonly string[]>> = {
  cameras: ['cameras'],
  preset: ['preset'],
  bitrate: ['bitrateKbps'],
  encoder: ['encoder'],
  override: ['overrideDanger'],
};

export function emptyChange(preset: PresetId = 'h264-hw'): ChangeForm {
  return {
    allCameras: true,
    cameras: [],
    preset,
    bitrate: '',
    custom: false,
    encoder: '',
    override: false,
  };
}

/**
 * The change as the contract takes it. Chosen cameras go in the device's order; the bitrate goes only with the
 * preset's encoder (a typed encoder carries its own), the override only when set.
 */
export function toConfigChange(
  deviceId: string,
  form: ChangeForm,
  cameraOrder: readonly string[],
): ConfigChangeInput {
  const chosen = new Set(form.cameras);
  const ordered = cameraOrder.filter((c) => chosen.has(c));
  const extra = form.cameras.filter((c) => !cameraOrder.includes(c));
  const change: ConfigChangeInput = {
    deviceId,
    cameras: form.allCameras ? 'all' : [...ordered, ...extra],
    preset: form.preset,
  };
  if (form.custom) change.encoder = form.encoder.trim();
  else {
    const kbps = parseKbps(form.bitrate);
    if (kbps !== undefined) change.bitrateKbps = kbps;
  }
  if (form.override) change.overrideDanger = true;
  return change;
}

/** Equal keys, equal changes: a preview is only good for the change it was made for. */
export function changeKey(change: ConfigChangeInput): string {
  return JSON.stringify(change, (_k, v: unknown) =>
    typeof v === 'number' && !Number.isFinite(v) ? String(v) : v,
  );
}

/** The override checkbox's words; the seeds' panic config gets the wording the producer knows it by. */
export function overrideLabel(danger: NonNullable<Danger>): string {
  const seed = /\d{3}/.exec(danger.seed)?.[0] ?? danger.seed;
  const what = /panic/i.test(`${danger.id} ${danger.reason}`) ? 'panicked the kernel' : 'is dangerous';
  return `Override: I know this config ${what} (seed ${seed})`;
}
