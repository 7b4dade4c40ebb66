import { ContractError, type EncoderSpec, type PropertyValue } from '../../contract/index.js';
import {
  ENCODER_NAMES,
  describe,
  elementInfo,
  unknownElementError,
  unsafeReason,
  validateElement,
} from './elements.js';

const MAX_TEXT = 1000;

function invalid(message: string): ContractError {
  return new ContractError('invalid_input', message);
}

/**
 * Parse what a producer types for `--encoder` / the UI's custom encoder: `mpph264enc bps=8000000 bps-max=16000000`.
 * The element must be an encoder; every property is checked against the registry; numbers become numbers.
 */
export function parseEncoderText(text: string): EncoderSpec {
  if (typeof text !== 'string' || text.trim() === '') {
    throw invalid(
      `The encoder is empty: type an encoder and its settings, e.g. "mpph264enc bps=8000000". Encoders: ${ENCODER_NAMES.join(', ')}.`,
    );
  }
  if (text.length > MAX_TEXT) throw invalid(`The encoder text is longer than ${MAX_TEXT} characters.`);
  if (/[\r\n\0]/.test(text))
    throw invalid('The encoder text contains a line break or NUL byte: type it on one line.');
  const [element = '', ...words] = text.trim().split(/[ \t]+/);
  const info = elementInfo(element);
  if (!info || info.kind !== 'encoder') {
    if (info) throw invalid(`${describe(element)} is not an encoder. Encoders: ${ENCODER_NAMES.join(', ')}.`);
    throw unknownElementError(element, ENCODER_NAMES, 'encoder');
  }
  const entries: Array<[string, PropertyValue]> = [];
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq <= 0) {
      const reason = unsafeReason(w);
      throw invalid(
        reason
          ? `${element}: ${describe(w)} ${reason}; settings are written key=value, e.g. bps=8000000.`
          : `${element}: ${describe(w)} is not a setting; settings are written key=value, e.g. bps=8000000.`,
      );
    }
    const key = w.slice(0, eq);
    if (entries.some(([k]) => k === key)) throw invalid(`${element}: ${describe(key)} is set twice.`);
    entries.push([key, w.slice(eq + 1)]);
  }
  // fromEntries makes every key an own property, `__proto__` included, so validation sees and refuses it.
  return validateElement({ element, properties: Object.fromEntries(entries) });
}

/** `mpph264enc qp-init=26 …` in insertion order. */
export function encoderToText(spec: EncoderSpec): string {
  const parts = [spec.element];
  for (const [key, value] of Object.entries(spec.properties)) parts.push(`${key}=${String(value)}`);
  return parts.join(' ');
}
