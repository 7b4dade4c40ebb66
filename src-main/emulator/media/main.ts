/**
 * The emulated R58's `mediamtx` unit:
 *
 *   node --import tsx src-main/emulator/media/main.ts --rtsp-port 8554 --whep-port 8889 --whep-host 0.0.0.0 \
 *     --api-port 9997 --api-host 127.0.0.1 --ice-tcp-port 8189 --paths cam0,cam1,cam2,cam3,program
 *
 * Logs like a service to stdout/stderr. SIGTERM or SIGINT closes everything (the Python ingest child too) and
 * exits 0. A bad flag exits 2, a port that cannot be bound exits 1.
 */
import { parseArgs, usage, type MediaServerConfig } from './config.js';
import { createLogger } from './log.js';
import { MediaServer } from './media-server.js';

let config: MediaServerConfig;
try {
  config = parseArgs(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${usage}\n`);
  process.exit(2);
}

const log = createLogger({ debug: config.debug });
log.info('MediaMTX stand-in (Tally emulator) starting');
const server = new MediaServer(config, log);

// werift reports some network errors asynchronously; one bad peer must not take every camera down.
process.on('unhandledRejection', (reason) => log.warn(`unhandled rejection: ${String(reason)}`));
process.on('uncaughtException', (error) => log.error(`uncaught exception: ${error.stack ?? error.message}`));

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info(`shutting down gracefully (${signal})`);
  const force = setTimeout(() => process.exit(1), 5000);
  await server.close();
  clearTimeout(force);
  process.exit(0);
}
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));

try {
  const ports = await server.start();
  log.info(`ready ${JSON.stringify(ports)}`);
} catch (error) {
  log.error(`cannot start: ${error instanceof Error ? error.message : String(error)}`);
  await server.close();
  process.exit(1);
}
