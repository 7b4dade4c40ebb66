import { Tags, type DeviceInput, type DeviceView } from '../../src-main/contract/index.js';

export type AuthKind = 'agent' | 'identityFile' | 'password';

/** The device form as the operator typed it: strings, unvalidated. The core validates. */
export interface DeviceFormValues {
  name: string;
  host: string;
  port: string;
  user: string;
  authKind: AuthKind;
  identityPath: string;
  passphrase: string;
  /** On edit: drop the stored passphrase (the key file is not encrypted any more). */
  clearPassphrase: boolean;
  password: string;
  profile: string;
  proxyJump: string;
  /** Comma-separated, as typed. */
  tags: string;
}

export function emptyForm(): DeviceFormValues {
  return {
    name: '',
    host: '',
    port: '22',
    user: 'linaro',
    authKind: 'agent',
    identityPath: '',
    passphrase: '',
    clearPassphrase: false,
    password: '',
    profile: 'r58',
    proxyJump: '',
    tags: '',
  };
}

/** The form for an existing device. Secrets are write-only: they never come back, so their fields start empty. */
export function formFromDevice(device: DeviceView): DeviceFormValues {
  return {
    ...emptyForm(),
    name: device.name,
    host: device.host,
    port: String(device.port),
    user: device.user,
    authKind: device.auth.kind,
    identityPath: device.auth.kind === 'identityFile' ? device.auth.path : '',
    profile: device.profile,
    proxyJump: device.proxyJump ?? '',
    tags: device.tags.join(', '),
  };
}

/** The tags in the field: split at commas, trimmed, empty ones (a trailing comma) dropped. */
export function splitTags(text: string): string[] {
  return text
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
}

/**
 * What is wrong with the tags typed, in the contract's words (the core checks the same), naming the tag at fault;
 * undefined when they are fine.
 */
export function tagsProblem(text: string): string | undefined {
  const tags = splitTags(text);
  const parsed = Tags.safeParse(tags);
  if (parsed.success) return undefined;
  const issue = parsed.error.issues[0];
  if (!issue) return 'These tags cannot be used.';
  const at = issue.path[0];
  return typeof at === 'number' && tags[at] !== undefined ? `“${tags[at]}”: ${issue.message}` : issue.message;
}

/**
 * What goes to `devices.add` / `devices.update`. An empty secret field means "keep what is stored" (omitted);
 * clearing a passphrase is explicit. A port that is not plain digits goes as typed, so the core's message explains it.
 */
export function toDeviceInput(v: DeviceFormValues): DeviceInput {
  const port = /^\s*\d+\s*$/.test(v.port) ? Number(v.port) : v.port;
  let auth: DeviceInput['auth'];
  switch (v.authKind) {
    case 'agent':
      auth = { kind: 'agent' };
      break;
    case 'identityFile':
      auth = { kind: 'identityFile', path: v.identityPath };
      if (v.passphrase !== '') auth.passphrase = v.passphrase;
      else if (v.clearPassphrase) auth.passphrase = '';
      break;
    case 'password':
      auth = { kind: 'password' };
      if (v.password !== '') auth.password = v.password;
      break;
  }
  const input: DeviceInput = { name: v.name, host: v.host, port, user: v.user, auth, profile: v.profile };
  input.proxyJump = v.proxyJump.trim();
  input.tags = splitTags(v.tags);
  return input;
}

/** Form fields that can show an error next to them, by the core's dotted path. */
export const FIELD_PATHS = [
  'name',
  'host',
  'port',
  'user',
  'auth',
  'auth.kind',
  'auth.path',
  'auth.passphrase',
  'auth.password',
  'profile',
  'proxyJump',
  'tags',
] as const;
export type FieldPath = (typeof FIELD_PATHS)[number];

/** Split the core's per-field messages into those the form can place and the rest (shown as a general alert). */
export function splitFieldErrors(fields: Record<string, string> | undefined): {
  placed: Partial<Record<FieldPath, string>>;
  other: string[];
} {
  const placed: Partial<Record<FieldPath, string>> = {};
  const other: string[] = [];
  for (const [path, message] of Object.entries(fields ?? {})) {
    // One field holds every tag: a message about the third one (`tags.2`) goes there.
    if (/^tags\.\d+$/.test(path)) placed.tags ??= message;
    else if ((FIELD_PATHS as readonly string[]).includes(path)) placed[path as FieldPath] = message;
    else other.push(path === '_' ? message : `${path}: ${message}`);
  }
  if (placed['auth.kind'] && !placed.auth) placed.auth = placed['auth.kind'];
  return { placed, other };
}
