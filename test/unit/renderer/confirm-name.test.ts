import { describe, expect, it } from 'vitest';
import { nameHint, nameMatches, typedName } from '../../../src-renderer/lib/confirm-name.js';

const NAME = 'cam0_20251222_141502.mp4';

describe('typing a name to confirm a destructive action', () => {
  it('matches only the exact name; spaces around a paste do not count', () => {
    expect(nameMatches(NAME, NAME)).toBe(true);
    expect(nameMatches(`  ${NAME}\n`, NAME)).toBe(true);
    expect(typedName(`  ${NAME} `)).toBe(NAME);
    expect(nameMatches('', NAME)).toBe(false);
    expect(nameMatches('cam0_20251222_141502', NAME)).toBe(false);
    expect(nameMatches(NAME.toUpperCase(), NAME)).toBe(false);
    expect(nameMatches('cam0_20251222_141502.mp4x', NAME)).toBe(false);
    expect(nameMatches('', '')).toBe(false);
  });

  it('says what is wrong while it does not match yet', () => {
    expect(nameHint('', NAME, 'recording')).toBe('');
    expect(nameHint(NAME, NAME, 'recording')).toBe('');
    expect(nameHint('cam0_2025', NAME, 'recording')).toBe('Keep typing: the whole name is needed.');
    expect(nameHint(NAME.toUpperCase(), NAME, 'recording')).toBe(
      'The case differs: type the name exactly as shown.',
    );
    expect(nameHint('cam1_20251222_141502.mp4', NAME, 'recording')).toBe(
      'That is not the name of this recording.',
    );
  });

  it('names what the name belongs to, and takes a device name the same way', () => {
    expect(nameMatches(' r58-a ', 'r58-a')).toBe(true);
    expect(nameMatches('R58-A', 'r58-a')).toBe(false);
    expect(nameHint('R58-A', 'r58-a', 'device')).toMatch(/case differs/);
    expect(nameHint('r58', 'r58-a', 'device')).toMatch(/Keep typing/);
    expect(nameHint('other', 'r58-a', 'device')).toBe('That is not the name of this device.');
  });
});
