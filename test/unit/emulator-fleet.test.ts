/** What a fleet refuses before it starts anything, its box names, and the empty camera list a light box carries. */
import { describe, expect, it } from 'vitest';
import {
  changeEncoders,
  parseRecorderConfig,
  planFromConfig,
} from '../../src-main/core/media/recorder-config.js';
import { configYml } from '../../src-main/emulator/device/repo/index.js';
import { boxName, startFleet } from '../../src-main/emulator/fleet.js';

describe('startFleet input', () => {
  it.each([
    [{ count: 0 }, 'A fleet has 1 to 64 boxes, got 0.'],
    [{ count: 65 }, 'A fleet has 1 to 64 boxes, got 65.'],
    [{ count: 1.5 }, 'A fleet has 1 to 64 boxes, got 1.5.'],
    [{ count: 2, cameras: 2 as 0 }, 'Fleet boxes have 0 or 1 cameras, got 2.'],
    [{ count: 2, concurrency: 0 }, 'concurrency must be a whole number from 1 to 16, got 0.'],
    [{ count: 2, sshdMaxStartups: '10:30' }, /^MaxStartups is start:rate:full/],
  ])('refuses %j with a message that says what fits', async (options, message) => {
    await expect(startFleet(options)).rejects.toThrow(message);
  });
});

describe('box names', () => {
  it('are box01…box64, two digits so they sort as numbers do', () => {
    expect([0, 8, 31, 63].map(boxName)).toEqual(['box01', 'box09', 'box32', 'box64']);
  });
});

describe("a light box's config.yml", () => {
  it('has an empty camera mapping, which the console reads as a recorder with no cameras', () => {
    const text = configYml('h264-hw', []);
    expect(text).toContain('\ncameras: {}\n');
    const config = parseRecorderConfig(text);
    expect(config.cameras).toEqual([]);
    expect(planFromConfig(config).cameras).toEqual([]);
    expect(() =>
      changeEncoders(text, {
        cameras: 'all',
        codec: 'h264',
        encoder: { element: 'mpph264enc', properties: {} },
      }),
    ).toThrow('config.yml lists no cameras, so there is no encoder to switch.');
  });

  it('a missing camera list is still refused', () => {
    expect(() => parseRecorderConfig(configYml('h264-hw', []).replace('cameras: {}\n', ''))).toThrow(
      /cameras must be a mapping of camera names/,
    );
  });
});
