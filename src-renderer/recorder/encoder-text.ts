/** Encoders as a person reads them in a pipeline: `mpph264enc qp-init=26 … bps=8000000`. */
import type { EncoderSpec, Preset } from '../../src-main/contract/index.js';

export function encoderText(spec: EncoderSpec): string {
  const props = Object.entries(spec.properties).map(([k, v]) => `${k}=${String(v)}`);
  return [spec.element, ...props].join(' ');
}

/** The preset's encoder at a bitrate in kbit/s, in the unit its bitrate property takes. */
export function presetEncoder(preset: Preset, kbps: number = preset.bitrate.defaultKbps): EncoderSpec {
  const value = preset.bitrate.unit === 'bps' ? kbps * 1000 : kbps;
  return {
    element: preset.encoder.element,
    properties: { ...preset.encoder.properties, [preset.bitrate.property]: value },
  };
}

/** A bitrate field's text as a number, or undefined when empty (the preset's default then applies). */
export function parseKbps(text: string): number | undefined {
  const t = text.trim().replace(/[\s_,]/g, '');
  if (t === '') return undefined;
  // Not-a-number goes to the core as NaN, which it rejects with the field's own message.
  return Number(t);
}
