/**
 * Entry point of the device daemon, PID 1 inside the emulated R58:
 *
 *     node --import tsx src-main/emulator/device/daemon-main.ts --config <device.json>
 *     node out/main/emulator-device-daemon.js --config <device.json>          (built)
 *
 * The launcher (src-main/emulator/namespace.ts) starts it inside the device's namespaces after mounting the R58
 * paths. It prints `{"event":"ready"}` on stdout once SSH, the media server and the recorder answer.
 */
import { readDeviceConfig } from './config.js';
import { DeviceDaemon } from './daemon.js';

function configPath(argv: string[]): string {
  const i = argv.indexOf('--config');
  const file = i >= 0 ? argv[i + 1] : undefined;
  if (!file) throw new Error('usage: daemon-main.ts --config <device.json>');
  return file;
}

async function main(): Promise<void> {
  const daemon = new DeviceDaemon(readDeviceConfig(configPath(process.argv.slice(2))));
  // As PID 1 of a namespace, the daemon only receives signals it has handlers for.
  const stop = (): void => void daemon.shutdown().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => undefined);
  // PID 1 must not die on a stray error: that would take the whole device down.
  process.on('uncaughtException', (err) =>
    process.stderr.write(`device daemon: ${err.stack ?? err.message}\n`),
  );
  process.on('unhandledRejection', (err) =>
    process.stderr.write(
      `device daemon: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    ),
  );
  try {
    await daemon.start();
  } catch (err) {
    daemon.emit({ event: 'error', message: (err as Error).message });
    await daemon.shutdown();
    process.exit(1);
  }
}

void main();
