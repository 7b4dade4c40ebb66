/**
 * What the device's commands (systemctl, journalctl, dmesg, in commands/) get from the daemon and give back.
 * The shell script forwards its argv and uid; the daemon runs the command and answers with the exit code, the
 * stderr lines and stdout, or, for `-f`/`-w`, a stream (see api.ts for the wire format).
 */
import type { KernelModel } from './kernel/index.js';
import type { Journal } from './journal.js';
import type { ServiceManager } from './units.js';
import type { EmulatorKind } from '../kinds/kinds.js';

export interface CommandContext {
  uid: number;
  units: ServiceManager;
  journal: Journal;
  kernel: KernelModel;
  hostname: string;
  /** Which box this is (uname answers for it); default the R58. */
  kind?: EmulatorKind;
  /** Wall-clock ms at the emulated boot. */
  bootTimeMs: number;
  /** `systemctl reboot`: starts the emulated reboot and returns at once (daemon.ts). */
  reboot?: () => void;
}

export interface CommandDone {
  kind: 'done';
  code: number;
  stdout: string;
  stderr: string;
}

export interface CommandStream {
  kind: 'stream';
  /**
   * Write the backlog and then follow; returns a function that stops following. `end` (when the stream has an end
   * of its own, as `docker logs -f` of a container that goes away) closes the reply.
   */
  follow(write: (text: string) => void, end?: () => void): () => void;
}

export type CommandOutcome = CommandDone | CommandStream;

export function done(code: number, stdout = '', stderr = ''): CommandDone {
  return { kind: 'done', code, stdout, stderr };
}

export function fail(code: number, message: string): CommandDone {
  return done(code, '', message.endsWith('\n') ? message : `${message}\n`);
}
