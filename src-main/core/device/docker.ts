/**
 * Docker on a box, through `sudo -n docker` (root or the docker group is needed, as for systemctl): the commands
 * Tally runs and parsers for what they print (`ps --format '{{json .}}'` lines, `inspect` JSON, `logs -t` lines).
 */
import { z } from 'zod';
import { argv, sh, sudo, UnsafeValueError, type ShellCommand } from './quote.js';

export function containerName(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(value))
    throw new UnsafeValueError('Container name', value, 'use letters, digits and _.- only');
  return value;
}

function docker(...args: (string | number)[]): ShellCommand {
  return sudo(argv('docker', ...args));
}

/** One line per container with this exact name (none when it does not exist). */
export function psCommand(container: string): ShellCommand {
  return docker('ps', '-a', '--filter', `name=^${containerName(container)}$`, '--format', '{{json .}}');
}

export function inspectCommand(container: string): ShellCommand {
  return docker('inspect', containerName(container));
}

export interface LogsOptions {
  /** RFC 3339 time or a relative one (`10m`). */
  since?: string;
  tail?: number;
  follow?: boolean;
}

/** The container's output with Docker's timestamps; its stderr (where FFmpeg writes) is merged in. */
export function logsCommand(container: string, opts: LogsOptions = {}): ShellCommand {
  const args: (string | number)[] = ['logs', '-t'];
  if (opts.since !== undefined) {
    if (!/^[0-9A-Za-z:.+-]{1,40}$/.test(opts.since))
      throw new UnsafeValueError('A time', opts.since, 'use an RFC 3339 time or a duration like 10m');
    args.push('--since', opts.since);
  }
  if (opts.tail !== undefined) args.push('-n', Math.max(0, Math.floor(opts.tail)));
  if (opts.follow) args.push('-f');
  args.push(containerName(container));
  return sh`${docker(...args)} 2>&1`;
}

export type ContainerAction = 'start' | 'stop' | 'restart';

export function controlCommand(action: ContainerAction, container: string): ShellCommand {
  return docker(action, containerName(container));
}

export const DockerPsRow = z.object({
  ID: z.string(),
  Image: z.string(),
  Names: z.string(),
  State: z.string(),
  Status: z.string(),
  CreatedAt: z.string().optional(),
  RunningFor: z.string().optional(),
});
export type DockerPsRow = z.infer<typeof DockerPsRow>;

/** The rows of `docker ps --format '{{json .}}'`; lines that are not a container (warnings) are skipped. */
export function parsePsLines(text: string): DockerPsRow[] {
  const rows: DockerPsRow[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('{')) continue;
    try {
      const parsed = DockerPsRow.safeParse(JSON.parse(trimmed));
      if (parsed.success) rows.push(parsed.data);
    } catch {
      // A cut line: skipped.
    }
  }
  return rows;
}

const Health = z.object({ Status: z.string() });

export const DockerContainer = z.object({
  Id: z.string(),
  Name: z.string(),
  Image: z.string(),
  RestartCount: z.number().int(),
  State: z.object({
    Status: z.string(),
    Running: z.boolean(),
    Paused: z.boolean().optional(),
    Restarting: z.boolean(),
    OOMKilled: z.boolean().optional(),
    Dead: z.boolean().optional(),
    Pid: z.number().int(),
    ExitCode: z.number().int(),
    Error: z.string().optional(),
    StartedAt: z.string(),
    FinishedAt: z.string(),
    Health: Health.optional().nullable(),
  }),
  Config: z.object({ Image: z.string() }),
  HostConfig: z
    .object({
      RestartPolicy: z.object({ Name: z.string(), MaximumRetryCount: z.number().int().optional() }),
    })
    .optional(),
});
export type DockerContainer = z.infer<typeof DockerContainer>;

export type InspectRead =
  { ok: true; container: DockerContainer } | { ok: false; missing: boolean; problem: string };

/** `docker inspect NAME`: a JSON array with one container, or Docker's error (no such container, no daemon). */
export function parseInspect(text: string, code: number | null): InspectRead {
  const start = text.indexOf('[');
  if (start >= 0) {
    try {
      const parsed = z.array(DockerContainer).safeParse(JSON.parse(text.slice(start)));
      if (parsed.success && parsed.data[0]) return { ok: true, container: parsed.data[0] };
      if (parsed.success) return { ok: false, missing: true, problem: 'no such container' };
      const issue = parsed.error.issues[0];
      return {
        ok: false,
        missing: false,
        problem: `docker inspect answered in a shape Tally does not know (${issue?.path.join('.')}: ${issue?.message})`,
      };
    } catch {
      // Not JSON after all: Docker's own words follow.
    }
  }
  const said = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && l !== '[]');
  const words = said.join(' ').slice(0, 300);
  if (/no such (object|container)/i.test(words) || (code === 0 && said.length === 0) || text.trim() === '[]')
    return { ok: false, missing: true, problem: 'no such container' };
  return { ok: false, missing: false, problem: dockerProblem(words, code) };
}

/** Docker's failure in words a producer can act on. */
export function dockerProblem(text: string, code: number | null): string {
  if (/password is required|a terminal is required/i.test(text))
    return 'sudo asks for a password; allow the login user passwordless sudo for docker';
  if (code === 127 || /docker: (command )?not found/i.test(text)) return 'docker is not installed on the box';
  if (/Cannot connect to the Docker daemon|docker\.sock/i.test(text))
    return 'the Docker daemon is not running';
  return text || `docker exited with ${code ?? 'no code'}`;
}

const LOG_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})) ?(.*)$/;

/** One line of `docker logs -t`: Docker's time (RFC 3339, nanoseconds) and the text, without a TTY's `\r`. */
export function parseLogLine(line: string): { at: string | null; text: string } {
  const clean = line.replace(/\r/g, '');
  const m = LOG_TIME.exec(clean);
  if (!m) return { at: null, text: clean };
  const date = new Date(m[1] ?? '');
  return { at: Number.isNaN(date.getTime()) ? null : date.toISOString(), text: m[2] ?? '' };
}
