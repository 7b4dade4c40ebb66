/**
 * Device-local HTTP APIs (the recorder's, MediaMTX's) asked with curl on the device, through the SSH connection:
 * they listen on the device's loopback, and one SSH connection already exists. Frame the command with `section`.
 */
import { sh, type ShellCommand } from './quote.js';
import type { Section } from './batch.js';

export interface HttpReply {
  /** HTTP status, or null when nothing answered. */
  status: number | null;
  body: string;
  /** Why there is no answer (curl's own words), or null. */
  error: string | null;
}

const STATUS_MARK = '@@http ';

/** curl on the device. The HTTP status comes last on its own line, so a body without a final newline is kept whole. */
export function curl(
  host: string,
  port: number,
  pathAndQuery: string,
  opts: { method?: 'GET' | 'POST'; maxTimeS?: number } = {},
): ShellCommand {
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}${pathAndQuery}`;
  const maxTime = opts.maxTimeS ?? 5;
  const head =
    opts.method === 'POST'
      ? sh`curl -sS --max-time ${maxTime} --data ''`
      : sh`curl -sS --max-time ${maxTime}`;
  return sh`${head} -w ${`\\n${STATUS_MARK}%{http_code}`} ${url}`;
}

export function parseCurl(section: Section | undefined): HttpReply {
  if (!section) return { status: null, body: '', error: 'no answer (the command was cut off)' };
  const text = section.text;
  const at = text.lastIndexOf(STATUS_MARK);
  if (at < 0) {
    const why = firstLine(text) || `exit ${section.code ?? 'unknown'}`;
    return {
      status: null,
      body: '',
      error: /not found/i.test(why) && section.code === 127 ? 'curl is not installed' : why,
    };
  }
  const status = Number(text.slice(at + STATUS_MARK.length).trim());
  // The -w text starts with its own newline.
  const body = text.slice(0, at).replace(/\n$/, '');
  if (!Number.isInteger(status) || status === 0) {
    const why = body.split('\n').find((l) => l.startsWith('curl:')) ?? firstLine(body);
    return { status: null, body: '', error: why || `curl exit ${section.code ?? 'unknown'}` };
  }
  return { status, body, error: null };
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? ''
  );
}

/** One line for a message: "answers (HTTP 200)", "curl: (7) Failed to connect …". */
export function describeReply(reply: HttpReply): string {
  if (reply.status === null) return reply.error ?? 'no answer';
  return `HTTP ${reply.status}`;
}

export function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}
