import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const COOKIE = 'tally_token';

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function cookieToken(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie ?? '';
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return v.join('=');
  }
  return undefined;
}

export function queryToken(url: URL): string | undefined {
  return url.searchParams.get('token') ?? undefined;
}

export function tokenMatches(expected: string, given: string | undefined): boolean {
  return given !== undefined && same(expected, given);
}

/**
 * Refuse requests whose Host header is not the address we listen on: a DNS-rebinding page would otherwise reach
 * the loopback server under its own name.
 */
export function hostAllowed(req: IncomingMessage, allowed: ReadonlySet<string>): boolean {
  return allowed.has((req.headers.host ?? '').toLowerCase());
}

/** A WebSocket must come from the page we served: same scheme, host and port. */
export function originAllowed(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  return origin !== undefined && origin === `http://${req.headers.host ?? ''}`;
}
