import type { Client, ClientChannel } from 'ssh2';
import { ContractError } from '../../contract/index.js';
import type { ExecOptions, ExecResult, ShellCommand } from './types.js';

const DEFAULT_MAX_BUFFER = 8 * 1024 * 1024;

function appendCapped(parts: Buffer[], size: { n: number }, chunk: Buffer, max: number): void {
  if (size.n >= max) return;
  const take = chunk.subarray(0, max - size.n);
  parts.push(take);
  size.n += take.length;
}

/** Run one command on an open client: streaming output, exit code, timeout and cancel. */
export function execOnClient(
  client: Client,
  deviceName: string,
  cmd: ShellCommand,
  opts: ExecOptions = {},
): Promise<ExecResult> {
  const started = performance.now();
  const max = opts.maxBufferBytes ?? DEFAULT_MAX_BUFFER;
  return new Promise<ExecResult>((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new ContractError('refused', `Cancelled before it started on ${deviceName}.`));
      return;
    }
    const onChannel = (err: Error | undefined, channel: ClientChannel) => {
      if (err) {
        reject(
          new ContractError('device_error', `${deviceName} did not accept the command: ${err.message}.`),
        );
        return;
      }
      const out: Buffer[] = [];
      const errs: Buffer[] = [];
      const outSize = { n: 0 };
      const errSize = { n: 0 };
      let code: number | null = null;
      let signal: string | null = null;
      let stopReason: string | undefined;
      let timer: NodeJS.Timeout | undefined;

      const stop = (reason: string) => {
        if (stopReason) return;
        stopReason = reason;
        // OpenSSH (7.9+) delivers a channel signal to the command for non-root logins, as long as our side of
        // the channel is still open — which is why stdin stays open below. The caller is released at once
        // either way; it does not wait on a command that ignores the signal.
        try {
          channel.signal('TERM');
        } catch {
          // The channel may already be gone.
        }
        channel.close();
        finish();
      };
      const onAbort = () => stop(`Cancelled on ${deviceName}.`);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.timeoutMs !== undefined)
        timer = setTimeout(
          () => stop(`Timed out after ${opts.timeoutMs} ms on ${deviceName}.`),
          opts.timeoutMs,
        );

      channel.on('data', (chunk: Buffer) => {
        appendCapped(out, outSize, chunk, max);
        opts.onStdout?.(chunk);
      });
      channel.stderr.on('data', (chunk: Buffer) => {
        appendCapped(errs, errSize, chunk, max);
        opts.onStderr?.(chunk);
      });
      channel.on('exit', (exitCode: number | null, exitSignal?: string) => {
        code = exitCode;
        signal = exitSignal ?? null;
      });
      let settled = false;
      const finish = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        const result: ExecResult = {
          code,
          signal,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(errs).toString('utf8'),
          durationMs: performance.now() - started,
        };
        if (stopReason)
          reject(new ContractError(opts.signal?.aborted ? 'refused' : 'device_error', stopReason));
        else if (code === null && signal === null)
          reject(
            new ContractError(
              'unavailable',
              `The connection to ${deviceName} was lost while the command ran.`,
            ),
          );
        else resolve(result);
      };
      channel.on('close', finish);
      // Without input, stdin stays open so a timeout or cancel can still signal the command; every command
      // we build reads nothing from stdin.
      if (opts.stdin !== undefined) channel.end(opts.stdin);
      else
        opts.input?.({
          write: (text) => {
            if (!settled) channel.write(text);
          },
          end: () => {
            if (!settled) channel.end();
          },
        });
    };
    try {
      client.exec(cmd.text, onChannel);
    } catch (err) {
      // ssh2 throws "Not connected" synchronously when the link died between our check and this call.
      reject(
        new ContractError(
          'unavailable',
          `The connection to ${deviceName} is down: ${(err as Error).message}.`,
        ),
      );
    }
  });
}
