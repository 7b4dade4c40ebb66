import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SSHConfig, { glob, LineType, type Line } from 'ssh-config';
import type { ImportCandidate } from '../../contract/index.js';
import { DeviceInput, Tag } from '../../contract/index.js';

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function hostAliases(lines: Line[]): string[] {
  const aliases: string[] = [];
  for (const line of lines) {
    if (line.type !== LineType.DIRECTIVE || line.param.toLowerCase() !== 'host') continue;
    const values = typeof line.value === 'string' ? line.value.split(/\s+/) : line.value.map((v) => v.val);
    // Patterns (wildcards, negations) are defaults for other hosts, not devices.
    for (const v of values) if (v && !/[*?!]/.test(v)) aliases.push(v);
  }
  return aliases;
}

function hostValues(line: Line): string[] {
  if (line.type !== LineType.DIRECTIVE || line.param.toLowerCase() !== 'host') return [];
  return (typeof line.value === 'string' ? line.value.split(/\s+/) : line.value.map((v) => v.val)).filter(
    Boolean,
  );
}

/**
 * Tags for an alias from the wildcard `Host` patterns that match it, as ssh itself would apply them:
 * `Host room-a-*` gives `room-a`, `Host *.venue-north` gives `venue-north`. The catch-all `*` is no group.
 */
export function tagsFromPatterns(lines: Line[], alias: string): string[] {
  const tags: string[] = [];
  for (const line of lines) {
    const values = hostValues(line);
    const patterns = values.filter((v) => /[*?]/.test(v) && !v.startsWith('!'));
    if (patterns.length === 0 || !glob(values, alias)) continue;
    for (const pattern of patterns) {
      if (!glob(pattern, alias)) continue;
      const word = pattern
        .replace(/[*?]+/g, ' ')
        .trim()
        .replace(/^[-._ ]+|[-._ ]+$/g, '');
      const tag = Tag.safeParse(word);
      if (tag.success && !tags.some((t) => t.toLowerCase() === tag.data.toLowerCase())) tags.push(tag.data);
    }
  }
  return tags.slice(0, 8);
}

/** Read ~/.ssh/config (or `file`) and turn each concrete Host entry into a device candidate. */
export async function readSshConfigCandidates(
  file?: string,
): Promise<{ path: string; candidates: ImportCandidate[] }> {
  const configPath = file ?? path.join(os.homedir(), '.ssh', 'config');
  let text: string;
  try {
    text = await fs.readFile(configPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { path: configPath, candidates: [] };
    throw new Error(`Cannot read ${configPath}: ${(err as Error).message}`, { cause: err });
  }
  const config = SSHConfig.parse(text);
  const candidates: ImportCandidate[] = [];
  for (const alias of hostAliases(config)) {
    // matchExec stays off: importing must never run commands from the config file.
    const computed = config.compute(alias, { matchExec: false });
    const host = first(computed['HostName']) ?? alias;
    const port = Number(first(computed['Port']) ?? 22);
    const user = first(computed['User']) ?? os.userInfo().username;
    const identityFile = first(computed['IdentityFile']);
    const proxyJump = first(computed['ProxyJump']);
    const candidate: ImportCandidate = { alias, host, port, user };
    const tags = tagsFromPatterns(config, alias);
    if (tags.length > 0) candidate.tags = tags;
    if (identityFile) candidate.identityFile = identityFile;
    if (proxyJump && proxyJump.toLowerCase() !== 'none') candidate.proxyJump = proxyJump;
    const check = DeviceInput.safeParse({
      name: alias,
      host,
      port,
      user,
      auth: identityFile ? { kind: 'identityFile', path: identityFile } : { kind: 'agent' },
      proxyJump: candidate.proxyJump,
    });
    if (!check.success)
      candidate.problem = check.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    else if (proxyJump?.includes(','))
      candidate.problem = 'Chained ProxyJump (several hops) is not supported yet; one hop is.';
    candidates.push(candidate);
  }
  return { path: configPath, candidates };
}
