import { describe, expect, it } from 'vitest';
import { nameHint, nameMatches, typedName } from '../../../src-renderer/recorder/confirm-name.js';

const NAME = 'cam0_20251222_141502.mp4';

describe('typing a recording name to delete it', () => {
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
    expect(nameHint('', NAME)).toBe('');
    expect(nameHint(NAME, NAME)).toBe('');
    expect(nameHint('cam0_2025', NAME)).toBe('Keep typing: the whole name is needed.');
    expect(nameHint(NAME.toUpperCase(), NAME)).toBe('The case differs: type the name exactly as shown.');
    expect(nameHint('cam1_20251222_141502.mp4', NAME)).toBe('That is not the name of this recording.');
  });
});
