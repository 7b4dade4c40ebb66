/** The device form's Tags field: comma-separated, checked with the contract's rules, messages at the field. */
import { describe, expect, it } from 'vitest';
import { DeviceInput, type DeviceView } from '../../../src-main/contract/index.js';
import {
  emptyForm,
  formFromDevice,
  splitFieldErrors,
  splitTags,
  tagsProblem,
  toDeviceInput,
} from '../../../src-renderer/lib/device-form.js';

const base = { ...emptyForm(), name: 'studio', host: 'r58.local' };

describe('the Tags field', () => {
  it('splits at commas, trims, and drops empty entries such as a trailing comma', () => {
    expect(splitTags(' room-a ,venue 2,, ')).toEqual(['room-a', 'venue 2']);
    expect(splitTags('')).toEqual([]);
    const input = toDeviceInput({ ...base, tags: 'room-a, venue 2,' });
    expect(input.tags).toEqual(['room-a', 'venue 2']);
    expect(DeviceInput.parse(input).tags).toEqual(['room-a', 'venue 2']);
  });

  it('sends no tags as an empty list, so clearing the field clears them', () => {
    expect(toDeviceInput(base).tags).toEqual([]);
  });

  it('shows a device’s tags as one comma-separated line', () => {
    const device = {
      id: 'd1',
      name: 'studio',
      host: 'r58.local',
      port: 22,
      user: 'linaro',
      auth: { kind: 'agent' },
      profile: 'r58',
      tags: ['room-a', 'venue'],
      status: { state: 'disconnected', detail: '', since: 0 },
    } satisfies DeviceView;
    expect(formFromDevice(device).tags).toBe('room-a, venue');
  });

  it('says what is wrong in the contract’s words, naming the tag at fault', () => {
    expect(tagsProblem('room-a, venue')).toBeUndefined();
    expect(tagsProblem('room-a, -back')).toBe(
      '“-back”: A tag is letters, digits, spaces, dots, dashes, underscores or slashes, starting with a letter or digit.',
    );
    expect(tagsProblem(`ok, ${'x'.repeat(33)}`)).toBe(`“${'x'.repeat(33)}”: A tag is at most 32 characters.`);
    expect(tagsProblem('a,b,c,d,e,f,g,h,i')).toBe('A device has at most 8 tags.');
  });

  it('places the core’s message about one tag at the Tags field', () => {
    const { placed, other } = splitFieldErrors({ 'tags.2': 'A tag is at most 32 characters.' });
    expect(placed).toEqual({ tags: 'A tag is at most 32 characters.' });
    expect(other).toEqual([]);
    expect(splitFieldErrors({ tags: 'A device has at most 8 tags.' }).placed.tags).toBe(
      'A device has at most 8 tags.',
    );
  });
});
