import { describe, expect, it } from 'vitest';
import { isTrustedSender } from '../../src-main/electron/sender-check.js';

const served = 'http://127.0.0.1:41234/?token=abc';

describe('IPC sender check (the Electron shell refuses calls from any other page)', () => {
  it('accepts only the page the console’s loopback server serves', () => {
    expect(isTrustedSender('http://127.0.0.1:41234/', served)).toBe(true);
    expect(isTrustedSender('http://127.0.0.1:41234/index.html#/devices', served)).toBe(true);
    expect(isTrustedSender('http://127.0.0.1:41235/', served)).toBe(false);
    expect(isTrustedSender('http://localhost:41234/', served)).toBe(false);
    expect(isTrustedSender('http://127.0.0.1:41234.evil.com/', served)).toBe(false);
    expect(isTrustedSender('file:///tmp/evil.html', served)).toBe(false);
    expect(isTrustedSender('https://example.com/', served)).toBe(false);
    expect(isTrustedSender(undefined, served)).toBe(false);
    expect(isTrustedSender('not a url', served)).toBe(false);
  });

  it('in development, accepts only the dev server origin', () => {
    const dev = 'http://localhost:5173';
    expect(isTrustedSender('http://localhost:5173/index.html', dev)).toBe(true);
    expect(isTrustedSender('http://localhost:5173.evil.com/', dev)).toBe(false);
    expect(isTrustedSender('http://localhost:5174/', dev)).toBe(false);
  });
});
