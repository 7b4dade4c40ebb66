/**
 * Recordings on the emulated R58: the active file grows between two reads and is marked as such, a finished one is
 * probed on the device, and deleting takes exactly one confirmed, inactive file — a bad name never reaches the device.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProfile } from '../../src-main/core/device/profile.js';
import { sh, sudo, type ShellCommand } from '../../src-main/core/device/quote.js';
import { RecorderApi } from '../../src-main/core/recorder/recorder-api.js';
import { deleteRecording, listRecordings } from '../../src-main/core/recorder/recordings.js';
import type { ConnectionManager } from '../../src-main/core/ssh/connection-manager.js';
import type { ExecOptions, ExecResult } from '../../src-main/core/ssh/types.js';
import { emulatorAvailable } from '../../src-main/emulator/index.js';
import { until } from '../fixtures/emulated-console.js';
import { startEmulatorSsh, type EmulatorSsh } from '../fixtures/emulator-ssh.js';
import type { SshConsole } from '../fixtures/ssh-console.js';

const ok = await emulatorAvailable();
const why = ok ? '' : ' [skipped: the emulator needs root with network namespaces, veth and nftables]';
const profile = loadProfile('r58');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const SENTINEL = '/var/recordings/sentinel.mp4';
const OUTSIDE = '/var/sentinel.mp4';

describe.skipIf(!ok)(`recordings on the emulated R58${why}`, () => {
  let r58: EmulatorSsh | undefined;
  let con: SshConsole;
  let id: string;
  let api: RecorderApi;
  /** Every command sent to the device through `counted`. */
  const sent: string[] = [];
  let counted: ConnectionManager;

  const exists = async (file: string): Promise<boolean> =>
    (await con.manager.exec(id, sh`test -e ${file}`)).code === 0;
  const active = async (): Promise<string[]> => (await api.recordStatus()).map((r) => r.file);

  beforeAll(async () => {
    r58 = await startEmulatorSsh({ cameras: 2 });
    ({ con, id } = r58);
    counted = {
      exec: (deviceId: string, cmd: ShellCommand, opts?: ExecOptions): Promise<ExecResult> => {
        sent.push(cmd.text);
        return con.manager.exec(deviceId, cmd, opts);
      },
    } as unknown as ConnectionManager;
    api = new RecorderApi(con.manager, id, profile);
    await until('2 cameras streaming', async () =>
      (await api.status()).summary.streaming === 2 ? true : undefined,
    );
    await con.manager.exec(id, sudo(sh`echo x > ${SENTINEL} && echo x > ${OUTSIDE}`));
  }, 120_000);

  afterAll(async () => {
    await r58?.stop();
  }, 60_000);

  it('shows the file being recorded as active and growing between two reads', async () => {
    await api.startRecording(['cam0', 'cam1']);
    const files = await active();
    expect(files).toHaveLength(2);
    await sleep(1500);
    const first = await listRecordings(con.manager, id, profile, files);
    const cam0 = files.find((f) => f.includes('/cam0_')) ?? '';
    const a = first.find((r) => r.path === cam0);
    expect(a).toMatchObject({ active: true, durationS: null });
    expect(a?.problem).toMatch(/^Being recorded now/);
    await sleep(1500);
    const second = await listRecordings(con.manager, id, profile, files);
    const b = second.find((r) => r.path === cam0);
    expect(b?.sizeBytes).toBeGreaterThan(a?.sizeBytes ?? Infinity);
    // A file that is not a recording is listed but not readable as one.
    expect(second.find((r) => r.name === 'sentinel.mp4')?.problem).toMatch(
      /^Not finalised|^ffprobe cannot read it/,
    );
  });

  it('refuses to delete a file that is being recorded', async () => {
    const files = await active();
    const name = (files[0] ?? '').split('/').pop() ?? '';
    await expect(deleteRecording(counted, id, profile, name, name, files)).rejects.toMatchObject({
      code: 'conflict',
      message: `${name} is being recorded now, so it was not deleted. Stop its recording first, then delete it.`,
    });
    expect(await exists(files[0] ?? '')).toBe(true);
  });

  it('refuses a confirmation that does not match, and names that are not a plain file name, before the device', async () => {
    const before = sent.length;
    await expect(
      deleteRecording(counted, id, profile, 'sentinel.mp4', 'sentinel.mp', []),
    ).rejects.toMatchObject({
      code: 'invalid_input',
      message: /^Nothing was deleted: type the file name exactly/,
    });
    for (const name of [
      '../sentinel.mp4',
      '$(reboot)',
      `$(rm -f ${SENTINEL})`,
      'x;rm -f sentinel.mp4',
      '.hidden',
      '-rf',
      'a/b',
      '',
    ])
      await expect(deleteRecording(counted, id, profile, name, name, [])).rejects.toMatchObject({
        code: 'invalid_input',
        message: /is not a recording: a recording is a plain file name in \/var\/recordings/,
      });
    expect(sent.length).toBe(before);
    expect(await exists(SENTINEL)).toBe(true);
    expect(await exists(OUTSIDE)).toBe(true);
    expect((await con.manager.exec(id, sh`systemctl is-active preke-recorder`)).stdout.trim()).toBe('active');
  });

  it('deletes exactly the confirmed, finished recording', async () => {
    await api.stopRecording(['cam1']);
    const files = await active();
    const all = await listRecordings(con.manager, id, profile, files);
    const done = all.find((r) => r.name.startsWith('cam1_'));
    expect(done).toMatchObject({ active: false, codec: 'h264', container: 'mp4', problem: null });
    const name = done?.name ?? '';

    await deleteRecording(counted, id, profile, name, name, files);
    expect(sent.at(-1)).toContain(`f=/var/recordings/${name};`);
    const left = await listRecordings(con.manager, id, profile, files);
    expect(left.map((r) => r.name).sort()).toEqual(
      all
        .map((r) => r.name)
        .filter((n) => n !== name)
        .sort(),
    );
    expect(await exists(SENTINEL)).toBe(true);

    await expect(deleteRecording(counted, id, profile, name, name, files)).rejects.toMatchObject({
      code: 'not_found',
      message: `There is no ${name} in /var/recordings any more. Refresh the list.`,
    });
  });
});
