import { describe, expect, it } from 'vitest';
import { isTrustedSender } from '../../src-main/electron/sender-check.js';

const file = '/opt/Tally/resources/app/out/renderer/index.html';

describe('IPC sender check (the Electron shell refuses calls from any other page)', () => {
  it('accepts only the bundled page', () => {
    expect(isTrustedSender(`file://${file}`, undefined, file)).toBe(true);
    expect(isTrustedSender(`file://${file}#/devices`, undefined, file)).toBe(true);
    expect(isTrustedSender('file:///tmp/evil.html', undefined, file)).toBe(false);
    expect(isTrustedSender(`file://${file}/../../../../tmp/evil.html`, undefined, file)).toBe(false);
    expect(isTrustedSender('https://example.com/', undefined, file)).toBe(false);
    expect(isTrustedSender(undefined, undefined, file)).toBe(false);
    expect(isTrustedSender('not a url', undefined, file)).toBe(false);
  });

  it('in development, accepts only the dev server origin', () => {
    const dev = 'http://localhost:5173';
    expect(isTrustedSender('http://localhost:5173/index.html', dev, file)).toBe(true);
    expect(isTrustedSender('http://localhost:5173.evil.com/', dev, file)).toBe(false);
    expect(isTrustedSender('http://localhost:5174/', dev, file)).toBe(false);
  });
});
