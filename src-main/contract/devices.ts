import { z } from 'zod';

/** Hostname (RFC 1123 labels), IPv4, or a bracket-free IPv6 literal. Nothing a shell could read as syntax. */
const HOST_RE =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$|^[0-9A-Fa-f:.]+$/;
const USER_RE = /^[a-z_][a-z0-9_.-]{0,31}$/i;
const PROFILE_RE = /^[a-z0-9][a-z0-9-]{0,31}$/;

export const Host = z
  .string()
  .trim()
  .min(1, 'Enter the device address, for example r58.local or 192.168.1.24.')
  .max(253, 'An address is at most 253 characters.')
  .regex(HOST_RE, 'Use a hostname or IP address: letters, digits, dots, dashes (no spaces or symbols).');

export const Port = z.coerce
  .number({ message: 'The port is a number from 1 to 65535.' })
  .int('The port is a whole number from 1 to 65535.')
  .min(1, 'The port is a number from 1 to 65535.')
  .max(65535, 'The port is a number from 1 to 65535.');

export const UserName = z
  .string()
  .trim()
  .min(1, 'Enter the login user, for example linaro.')
  .regex(USER_RE, 'A user name is letters, digits, dot, dash or underscore, starting with a letter.');

/**
 * Characters that show as nothing, or reorder the text around them, so two different names can look the same:
 * C1 controls, format characters (bidi embeddings, overrides and isolates, LRM/RLM/ALM, zero-width spaces and
 * joiners, soft hyphen, BOM, tags, …), the line and paragraph separators, the combining grapheme joiner and the
 * Hangul fillers. C0 controls and DEL are refused before this with their own message.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029\u115f\u1160\u3164\uffa0]|\u034f/u;

const INVISIBLE_NAMES: Readonly<Record<number, string>> = {
  0x00ad: 'soft hyphen',
  0x061c: 'Arabic letter mark',
  0x200b: 'zero-width space',
  0x200c: 'zero-width non-joiner',
  0x200d: 'zero-width joiner',
  0x200e: 'left-to-right mark',
  0x200f: 'right-to-left mark',
  0x202a: 'left-to-right embedding',
  0x202b: 'right-to-left embedding',
  0x202c: 'pop directional formatting',
  0x202d: 'left-to-right override',
  0x202e: 'right-to-left override',
  0x2060: 'word joiner',
  0x2066: 'left-to-right isolate',
  0x2067: 'right-to-left isolate',
  0x2068: 'first strong isolate',
  0x2069: 'pop directional isolate',
  0xfeff: 'zero-width no-break space',
};

/** `U+202E (right-to-left override)` for the first invisible or direction-changing character, if any. */
function invisibleCharacterIn(text: string): string | undefined {
  const found = INVISIBLE.exec(text)?.[0];
  if (found === undefined) return undefined;
  const code = found.codePointAt(0) ?? 0;
  const name = INVISIBLE_NAMES[code];
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}${name ? ` (${name})` : ''}`;
}

export const DeviceName = z
  .string()
  .trim()
  .min(1, 'Give the device a name, for example studio-r58.')
  .max(64, 'A name is at most 64 characters.')
  // eslint-disable-next-line no-control-regex
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'A name cannot contain control characters.')
  .superRefine((name, ctx) => {
    const found = invisibleCharacterIn(name);
    if (found)
      ctx.addIssue({
        code: 'custom',
        message:
          `A name cannot contain the invisible or direction-changing character ${found}: it can make one device ` +
          'look like another. Type the name again by hand (text copied from a document or a chat can carry them).',
      });
  });

export const ProfileId = z.string().regex(PROFILE_RE, 'Unknown profile id.');

export const IdentityPath = z
  .string()
  .trim()
  .min(1, 'Enter the path of the private key file, for example ~/.ssh/id_ed25519.')
  .max(4096)
  // eslint-disable-next-line no-control-regex
  .regex(/^[^\u0000-\u001f]+$/, 'The key path cannot contain control characters.');

/** What the producer types into the device form. Secrets travel once, to the keychain, and never come back. */
export const AuthInput = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('agent') }),
  z.object({
    kind: z.literal('identityFile'),
    path: IdentityPath,
    /** Omit to keep the stored one; empty string clears it. */
    passphrase: z.string().max(1024).optional(),
  }),
  z.object({
    kind: z.literal('password'),
    /** Omit to keep the stored one. */
    password: z.string().max(1024).optional(),
  }),
]);
export type AuthInput = z.infer<typeof AuthInput>;

/** `user@host:port`, as in ssh's -J. */
export const JumpSpec = z
  .string()
  .trim()
  .max(300)
  .regex(
    /^(?:[a-z_][a-z0-9_.-]{0,31}@)?[A-Za-z0-9.:-]+(?::\d{1,5})?$|^(?:[a-z_][a-z0-9_.-]{0,31}@)?\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/i,
    'A jump host is user@host or user@host:port, as in ssh -J.',
  );

/** A label that groups devices (room, venue, rack): short words a producer types and filters by. */
export const Tag = z
  .string()
  .trim()
  .min(1, 'A tag cannot be empty.')
  .max(32, 'A tag is at most 32 characters.')
  .regex(
    /^[\p{L}\p{N}][\p{L}\p{N} ._/-]*$/u,
    'A tag is letters, digits, spaces, dots, dashes, underscores or slashes, starting with a letter or digit.',
  );

/** At most 8 tags a device; the same tag twice (ignoring case) counts once, the first spelling kept. */
export const Tags = z
  .array(Tag)
  .max(8, 'A device has at most 8 tags.')
  .transform((tags) =>
    tags.filter((t, i) => tags.findIndex((u) => u.toLowerCase() === t.toLowerCase()) === i),
  );

export const DeviceInput = z.object({
  name: DeviceName,
  host: Host,
  port: Port.default(22),
  user: UserName,
  auth: AuthInput,
  profile: ProfileId.default('r58'),
  proxyJump: z.union([JumpSpec, z.literal('')]).optional(),
  tags: Tags.default([]),
});
export type DeviceInput = z.input<typeof DeviceInput>;

export const AuthView = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('agent') }),
  z.object({ kind: z.literal('identityFile'), path: z.string(), hasPassphrase: z.boolean() }),
  z.object({ kind: z.literal('password'), hasPassword: z.boolean() }),
]);
export type AuthView = z.infer<typeof AuthView>;

export const ConnectionState = z.enum([
  'disconnected',
  'connecting',
  'connected',
  'degraded',
  'auth_failed',
  'hostkey_unknown',
  'hostkey_mismatch',
  'unreachable',
]);
export type ConnectionState = z.infer<typeof ConnectionState>;

/** The link is up: commands can run (a degraded link is slow, not down). */
export function isLive(state: ConnectionState): boolean {
  return state === 'connected' || state === 'degraded';
}

/** The console is getting a lost link back by itself (not a link the user ended): say "reconnecting", not "connect". */
export function isReconnecting(status: Pick<DeviceStatus, 'linkLost' | 'retry'>): boolean {
  return status.linkLost !== undefined || status.retry !== undefined;
}

export const HostKeyInfo = z.object({
  /** `SHA256:…` exactly as `ssh-keygen -lf` prints it. */
  fingerprint: z.string(),
  /** `ED25519`, `RSA`, `ECDSA`… as ssh-keygen shows it in brackets. */
  keyType: z.string(),
});
export type HostKeyInfo = z.infer<typeof HostKeyInfo>;

export const DeviceStatus = z.object({
  state: ConnectionState,
  /** One sentence for a person: what happened and what to do. */
  detail: z.string(),
  since: z.number(),
  /** Set while an automatic reconnect is scheduled. */
  retry: z.object({ attempt: z.number(), at: z.number() }).optional(),
  /**
   * Set while the console is getting a lost link back by itself, through every retry: when the device was last
   * heard from (ms since the epoch) and the reconnect attempt under way or next (from 1). Cleared once the link is
   * live again, or when the producer disconnects (then "connect" is the right word again).
   */
  linkLost: z.object({ since: z.number(), attempt: z.number().int().min(1) }).optional(),
  /** Median round trip of recent heartbeats, when connected. */
  rttMs: z.number().optional(),
  /** The key the device presented, when it needs trusting or does not match. */
  presentedKey: HostKeyInfo.optional(),
  /** The key on record, on a mismatch. */
  expectedKey: HostKeyInfo.optional(),
});
export type DeviceStatus = z.infer<typeof DeviceStatus>;

export const DeviceView = z.object({
  id: z.string(),
  name: z.string(),
  host: z.string(),
  port: z.number(),
  user: z.string(),
  auth: AuthView,
  profile: z.string(),
  proxyJump: z.string().optional(),
  tags: z.array(z.string()),
  trustedKey: HostKeyInfo.optional(),
  status: DeviceStatus,
});
export type DeviceView = z.infer<typeof DeviceView>;

export const ImportCandidate = z.object({
  alias: z.string(),
  host: z.string(),
  port: z.number(),
  user: z.string(),
  identityFile: z.string().optional(),
  proxyJump: z.string().optional(),
  /** From the wildcard `Host` patterns that also match this entry (`Host room-a-*` → `room-a`). */
  tags: z.array(z.string()).optional(),
  /** Why this entry cannot be imported as is, if it cannot. */
  problem: z.string().optional(),
});
export type ImportCandidate = z.infer<typeof ImportCandidate>;
