import { createHmac } from 'node:crypto';

export interface KnownHostEntry {
  /** Host patterns as written (plain), or the hashed form `|1|salt|hash`. */
  hosts: string[];
  keyType: string;
  /** Base64 key blob. */
  key: string;
  marker: '' | '@revoked' | '@cert-authority';
}

/** Parse OpenSSH known_hosts text. Unparseable lines are skipped, as ssh does. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'] = '';
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority')
      marker = fields.shift() as KnownHostEntry['marker'];
    const [hosts, keyType, key] = fields;
    if (!hosts || !keyType || !key) continue;
    entries.push({ hosts: hosts.split(','), keyType, key, marker });
  }
  return entries;
}

function hostPatternFor(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function matchesHashed(pattern: string, name: string): boolean {
  const [, magic, salt, hash] = pattern.split('|');
  if (magic !== '1' || !salt || !hash) return false;
  const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return digest === hash;
}

function wildcardToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

function matchesHost(patterns: string[], name: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    const body = negated ? pattern.slice(1) : pattern;
    const hit = body.startsWith('|1|') ? matchesHashed(body, name) : wildcardToRegExp(body).test(name);
    if (hit && negated) return false;
    if (hit) matched = true;
  }
  return matched;
}

/** Keys recorded for host:port. Revoked keys come back with marker '@revoked' so the caller can refuse them. */
export function lookupKnownHosts(entries: KnownHostEntry[], host: string, port: number): KnownHostEntry[] {
  // ssh compares host names in lower case, hashed entries included.
  const name = hostPatternFor(host.toLowerCase(), port);
  return entries.filter((e) => e.marker !== '@cert-authority' && matchesHost(e.hosts, name));
}
