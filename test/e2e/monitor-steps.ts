/** Shared by the monitor e2e test and the UI flood benchmark: an emulated R58 added and connected through the UI. */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { keyAlgorithm, keyTypeLabel } from '../../src-main/core/ssh/fingerprint.js';
import type { Emulator } from '../../src-main/emulator/index.js';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { openConsole, type BrowserSession, type WebConsole } from './harness.js';
import { addDevice, connectAndTrust, shootOnFailure } from './steps.js';

const run = promisify(execFile);

/** The seeds' kernel-panic encoder config (000): the emulated kernel answers it with an rkvenc Oops. */
export const PANIC_PIPELINE =
  'gst-launch-1.0 videotestsrc ! mpph264enc bps=8000000 bps-max=16000000 ! fakesink';

/** Add the emulator as a device by hand, connect, compare and trust its host key: ends on "Connected". */
export async function addEmulatedDevice(page: Page, emu: Emulator, name: string): Promise<void> {
  const { ssh } = emu.ready;
  await addDevice(page, {
    name,
    host: ssh.host,
    port: ssh.port,
    user: ssh.user,
    identityFile: ssh.identityFile,
  });
  const blob = Buffer.from(emu.hostKeyLine.trim().split(/\s+/)[2] ?? '', 'base64');
  await connectAndTrust(page, name, {
    fingerprint: ssh.hostKeyFingerprint,
    keyType: keyTypeLabel(keyAlgorithm(blob)),
  });
}

/** Run one command on the emulated device over plain OpenSSH, as a person at a shell would; its exit is ignored. */
export async function runOnDevice(emu: Emulator, command: string, timeoutMs = 60_000): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-e2e-ssh-'));
  try {
    const knownHosts = path.join(dir, 'known_hosts');
    await fs.writeFile(knownHosts, `${emu.hostKeyLine.trim()}\n`);
    const { ssh } = emu.ready;
    const args = [
      '-F',
      '/dev/null',
      '-i',
      ssh.identityFile,
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'BatchMode=yes',
      '-o',
      `UserKnownHostsFile=${knownHosts}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-p',
      String(ssh.port),
      `${ssh.user}@${ssh.host}`,
      command,
    ];
    const result = await run('ssh', args, { timeout: timeoutMs }).catch(
      (err: { stdout?: string; stderr?: string }) => ({ stdout: err.stdout ?? '', stderr: err.stderr ?? '' }),
    );
    return `${result.stdout}${result.stderr}`;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export interface EmulatedConsole {
  emu: Emulator;
  web: WebConsole;
  session: BrowserSession;
  page: Page;
}

/**
 * The hooks every emulator-backed e2e file needs: before its tests, start the emulator and the web console with
 * Chromium side by side and hand them to `ready`; screenshot a failing test; stop all three afterwards.
 */
export function useEmulatedConsole(
  ok: boolean,
  startEmu: () => Promise<Emulator>,
  ready: (suite: EmulatedConsole) => void,
): void {
  let suite: Partial<EmulatedConsole> = {};
  beforeAll(async () => {
    if (!ok) return;
    const [emu, opened] = await Promise.all([startEmu(), openConsole()]);
    suite = { emu, ...opened };
    ready({ emu, ...opened });
  });
  beforeEach(shootOnFailure(() => suite.page));
  afterAll(async () => {
    await suite.session?.close();
    await suite.web?.stop();
    await suite.emu?.stop();
  });
}
