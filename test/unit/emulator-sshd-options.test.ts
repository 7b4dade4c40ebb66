import { describe, expect, it } from 'vitest';
import { parseMaxStartups } from '../../src-main/emulator/sshd-options.js';

describe("the device sshd's MaxStartups", () => {
  it('takes start:rate:full and one number, as sshd_config does', () => {
    expect(parseMaxStartups('10:30:100')).toBe('10:30:100');
    expect(parseMaxStartups(' 3:100:10 ')).toBe('3:100:10');
    expect(parseMaxStartups('100')).toBe('100');
  });

  it.each(['', 'ten', '10:30', '0:30:100', '11:30:10', '10:0:100', '10:101:100', '3:100:20000', '-1', '1e3'])(
    'refuses %j with a message that shows a valid one',
    (value) => {
      expect(() => parseMaxStartups(value)).toThrow(/start:rate:full \(for example 10:30:100/);
    },
  );
});
