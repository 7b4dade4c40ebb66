/**
 * Service-style log lines in MediaMTX's shape (`2025/01/02 15:04:05 INF [RTSP] [session 1a2b3c4d] …`), so the
 * unit's journal reads like the real one. Info and debug go to stdout, warnings and errors to stderr.
 */
export type LogLevel = 'DEB' | 'INF' | 'WAR' | 'ERR';

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** A logger whose lines carry one more `[tag]`. */
  child(tag: string): Logger;
}

function stamp(date: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}/${p(date.getMonth() + 1)}/${p(date.getDate())} ` +
    `${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`
  );
}

export interface LoggerOptions {
  debug?: boolean;
  /** Where lines go; defaults to process.stdout / process.stderr. */
  write?: (level: LogLevel, line: string) => void;
}

export function createLogger(options: LoggerOptions = {}, tags: readonly string[] = []): Logger {
  const write =
    options.write ??
    ((level: LogLevel, line: string): void => {
      (level === 'WAR' || level === 'ERR' ? process.stderr : process.stdout).write(line + '\n');
    });
  const emit = (level: LogLevel, message: string): void => {
    if (level === 'DEB' && !options.debug) return;
    const prefix = tags.map((t) => `[${t}] `).join('');
    write(level, `${stamp(new Date())} ${level} ${prefix}${message}`);
  };
  return {
    debug: (m) => emit('DEB', m),
    info: (m) => emit('INF', m),
    warn: (m) => emit('WAR', m),
    error: (m) => emit('ERR', m),
    child: (tag) => createLogger({ ...options, write }, [...tags, tag]),
  };
}
