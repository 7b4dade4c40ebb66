/**
 * The device's operation lease on the emulated R58, over real SSH: two lease owners with their own console ids
 * stand for two consoles. One holds, the other is refused with who and what; a SIGKILLed holder's lease is broken
 * and audited; a job that takes the device over (the VPU reset's way) asks the holder to stop and gets the lease
 * once it lets go.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractError, type DeviceLease } from '../../src-main/contract/index.js';
import { DeviceLeases, type LeaseAudit } from '../../src-main/core/device/lease.js';
import { LEASE_JOB_FUNCTIONS } from '../../src-main/core/device/lease-script.js';
import { sh } from '../../src-main/core/device/quote.js';
import { emulatorAvailable } from '../../src-main/emulator/index.js';
import { startEmulatorSsh, type EmulatorSsh } from '../fixtures/emulator-ssh.js';
import { until } from '../fixtures/until.js';

const ok = await emulatorAvailable();
const why = ok ? '' : ' [skipped: the emulator needs root with network namespaces, veth and nftables]';

describe.skipIf(!ok)(`the device's operation lease on the emulated R58${why}`, () => {
  let d: EmulatorSsh;
  let a: DeviceLeases;
  let b: DeviceLeases;
  const audits: LeaseAudit[] = [];
  const changes: (DeviceLease | null)[] = [];

  const leases = (who: string, onChange: (l: DeviceLease | null) => void = () => undefined) =>
    new DeviceLeases({
      connections: d.con.manager,
      deviceName: () => 'demo-r58',
      who,
      audit: async (entry) => void audits.push(entry),
      onChange: (_id, lease) => onChange(lease),
      pollMs: 0,
    });

  beforeAll(async () => {
    d = await startEmulatorSsh({ cameras: 1 });
    a = leases('alice@laptop (electron)', (l) => changes.push(l));
    b = leases('bob@studio (web)');
  });
  afterAll(async () => {
    a?.close();
    b?.close();
    await d?.stop();
  });

  it('lets one operation hold the device; another console is refused with what runs, who started it and how to follow it', async () => {
    const held = await a.acquire(d.id, {
      kind: 'config.apply',
      what: 'Apply h264-hw to cam0',
      follow: 'Follow it in the Recorder tab under Operations.',
    });
    expect(changes.at(-1)).toMatchObject({ kind: 'config.apply', mine: true });

    const seen = await b.read(d.id);
    expect(seen).toMatchObject({ kind: 'config.apply', who: 'alice@laptop (electron)', mine: false });

    const refused = await b
      .acquire(d.id, { kind: 'recorder.restart', what: 'Restart the recorder', follow: '' })
      .then(
        () => null,
        (err: unknown) => err,
      );
    expect(refused).toBeInstanceOf(ContractError);
    expect((refused as ContractError).code).toBe('busy');
    expect((refused as ContractError).message).toMatch(
      /Apply h264-hw to cam0 is running \(started by another console on .* \(alice@laptop \(electron\)\) at \d\d:\d\d:\d\d UTC.*Recorder tab under Operations/,
    );

    await held.release();
    expect(changes.at(-1)).toBeNull();
    expect(await b.read(d.id)).toBeNull();
    const next = await b.acquire(d.id, {
      kind: 'recorder.restart',
      what: 'Restart the recorder',
      follow: '',
    });
    await next.release();
    expect(audits.filter((e) => e.action === 'lease.broken')).toHaveLength(0);
  });

  it('breaks the lease of a holder killed with SIGKILL, and the audit log says so', async () => {
    const held = await a.acquire(d.id, { kind: 'config.apply', what: 'Apply x264 to cam0', follow: '' });
    const pid = (await d.exec(sh`sed -n 's/^pid=//p' "$HOME"/.tally/lease/info`)).stdout.trim();
    expect(pid).toMatch(/^\d+$/);
    await d.exec(sh`kill -KILL ${pid}`);
    await until('the killed holder to be noticed', () => held.ended !== null, 10_000);
    expect(held.ended).toBe('orphaned');

    const next = await b.acquire(d.id, {
      kind: 'recorder.restart',
      what: 'Restart the recorder',
      follow: '',
    });
    await until('the broken lease to be audited', () => audits.find((e) => e.action === 'lease.broken'));
    expect(audits.find((e) => e.action === 'lease.broken')?.message).toMatch(
      new RegExp(`lease of "Apply x264 to cam0".*holder \\(pid ${pid}\\) is gone`),
    );
    await next.release();
  });

  it('a job taking the device over asks the holder to stop, and takes the lease once it lets go', async () => {
    const held = await a.acquire(d.id, { kind: 'config.apply', what: 'Apply h264-hw to cam0', follow: '' });
    const job = d.exec(
      sh`${LEASE_JOB_FUNCTIONS}
lease_take lease-job1 ${'id=lease-job1\nkind=vpu.reset\nwhat=Emergency VPU reset'} ${'Emergency VPU reset by carol'} 20
echo "took $?"; lease_field kind`,
      40_000,
    );
    await until('the holder to be asked to stop', () => held.interruptedBy ?? undefined, 10_000);
    expect(held.interruptedBy).toBe('Emergency VPU reset by carol');
    await held.release();
    const r = await job;
    expect(r.stdout).toContain('took 0');
    expect(r.stdout).toContain('vpu.reset');
    // The job has ended, so its lease goes with it.
    await until('the job lease to end', async () => (await b.read(d.id)) === null, 10_000);
  });
});
