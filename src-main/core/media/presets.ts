import {
  BitrateKbps,
  ContractError,
  PRESET_IDS,
  type Danger,
  type EncoderSpec,
  type Preset,
  type PresetId,
} from '../../contract/index.js';
import type { R58Profile } from '../device/profile.js';
import { streamCpu } from './cpu-budget.js';
import { validateElement } from './elements.js';

export const PRESETS: readonly Preset[] = [
  {
    id: 'h264-hw',
    label: 'H.264 hardware (proven)',
    description:
      'mpph264enc with QP rate control, an explicit GOP and CBR: the raspberry.ninja settings that run all four cameras.',
    codec: 'h264',
    encoder: {
      element: 'mpph264enc',
      properties: { 'qp-init': 26, 'qp-min': 10, 'qp-max': 51, gop: 30, 'rc-mode': 'cbr', bps: 8_000_000 },
    },
    bitrate: { property: 'bps', unit: 'bps', defaultKbps: 8000 },
    vpuSessions: 1,
    whepPlayable: true,
    container: 'mp4',
    notes: [
      'Proven by Test 1 (300 buffers at 1920x1080, no kernel errors) and four cameras streaming on Dec 22 (seed 001).',
      'QP rate control, gop and rc-mode avoid the kernel bug path hit on Dec 19 by bps/bps-max alone (seeds 000, 001).',
      'One VPU session per stream; about 2–5 % CPU (seed 002).',
      'Plays over WebRTC (WHEP); recordings in MP4 (seed 001).',
    ],
  },
  {
    id: 'h265-hw',
    label: 'H.265 hardware',
    description: 'mpph265enc with the same QP rate control: smaller files, but no browser preview over WHEP.',
    codec: 'h265',
    encoder: {
      element: 'mpph265enc',
      properties: { 'qp-init': 26, 'qp-min': 10, 'qp-max': 51, gop: 30, 'rc-mode': 'cbr', bps: 8_000_000 },
    },
    bitrate: { property: 'bps', unit: 'bps', defaultKbps: 8000 },
    vpuSessions: 1,
    whepPlayable: false,
    container: 'mkv',
    notes: [
      'H.265 does not play over WebRTC (WHEP) or flvmux (seeds 000, 001).',
      'Same MPP driver as mpph264enc, never qualified for stability (seed 000).',
      'Smaller files: ~3.6 GB against ~7.2 GB per hour at 8 Mbit/s (seed 001); recordings in MKV.',
      'One VPU session per stream (seed 002).',
    ],
  },
  {
    id: 'h264-sw',
    label: 'H.264 software',
    description: 'x264enc tuned for latency: no VPU session, paid for in CPU.',
    codec: 'h264',
    encoder: {
      element: 'x264enc',
      properties: { tune: 'zerolatency', 'speed-preset': 'superfast', bitrate: 4000, 'key-int-max': 30 },
    },
    bitrate: { property: 'bitrate', unit: 'kbps', defaultKbps: 4000 },
    vpuSessions: 0,
    whepPlayable: true,
    container: 'mp4',
    notes: [
      'The fallback after the Dec 19 panic (seed 000).',
      'About 15–25 % CPU per stream (seed 002), 30–40 % measured on the R58 (seed 000): not four cameras at once.',
      "Seed 002's safe plan uses it for previews and the mixer output to save VPU sessions.",
    ],
  },
];

/** The presets with the CPU one stream of each takes on this profile's board (from the profile's figures). */
export function presetsFor(profile: R58Profile): Preset[] {
  return PRESETS.map((preset) => {
    const cpu = profile.cpu ? streamCpu(profile.cpu, preset.encoder.element) : null;
    return cpu ? { ...preset, cpu: { ...cpu, profile: profile.id, board: profile.model } } : { ...preset };
  });
}

export function presetById(id: PresetId): Preset {
  const preset = PRESETS.find((p) => p.id === id);
  if (!preset) {
    throw new ContractError(
      'invalid_input',
      `Unknown preset ${JSON.stringify(id)}: use one of ${PRESET_IDS.join(', ')}.`,
    );
  }
  return preset;
}

/** The preset's encoder at this bitrate (kbit/s → bps for mpp, kbit/s for x264). */
export function presetEncoder(id: PresetId, bitrateKbps?: number): EncoderSpec {
  const preset = presetById(id);
  const properties = { ...preset.encoder.properties };
  if (bitrateKbps !== undefined) {
    const parsed = BitrateKbps.safeParse(bitrateKbps);
    if (!parsed.success) {
      const reason = parsed.error.issues[0]?.message ?? 'The bitrate is not usable.';
      throw new ContractError('invalid_input', `Bitrate ${String(bitrateKbps)} kbit/s: ${reason}`, {
        bitrateKbps: reason,
      });
    }
    properties[preset.bitrate.property] = preset.bitrate.unit === 'bps' ? parsed.data * 1000 : parsed.data;
  }
  return validateElement({ element: preset.encoder.element, properties });
}

interface DangerRow {
  id: string;
  seed: string;
  reason: string;
  matches: (spec: EncoderSpec) => boolean;
}

const has = (spec: EncoderSpec, key: string): boolean => Object.hasOwn(spec.properties, key);

/** Known-bad settings, one row each. */
export const DANGERS: readonly DangerRow[] = [
  {
    id: 'mpp-h264-bps-max-without-qp',
    seed: '000',
    reason:
      'mpph264enc with bps-max and none of qp-init/qp-min/qp-max is the Dec 19 kernel panic configuration ' +
      '(Internal error: Oops, seed 000; named in seed 001): use the h264-hw preset ' +
      '(qp-init=26 qp-min=10 qp-max=51 gop=30 rc-mode=cbr).',
    matches: (spec) =>
      spec.element === 'mpph264enc' &&
      has(spec, 'bps-max') &&
      !has(spec, 'qp-init') &&
      !has(spec, 'qp-min') &&
      !has(spec, 'qp-max'),
  },
];

/** The first known-bad row this encoder matches, or null when fine. */
export function dangerOf(spec: EncoderSpec): Danger {
  const row = DANGERS.find((d) => d.matches(spec));
  return row ? { id: row.id, reason: row.reason, seed: row.seed } : null;
}
