/**
 * A network blip on a box whose sshd refuses logins early (`MaxStartups 3:100:10`: from 3 unauthenticated
 * connections on, every new one is dropped), seen by the console as 32 devices at one address: every device comes
 * back, and every login sshd turned away the console reported as turned away and retried soon — never as a failed
 * login, never after the long backoff. Prints how many logins sshd turned away.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceStatus } from '../../src-main/contract/index.js';
import { sh } from '../../src-main/core/device/quote.js';
import { emulatorAvailable, startEmulator, type Emulator } from '../../src-main/emulator/index.js';
import { openFleetConsole, type FleetConsole } from '../fixtures/fleet-console.js';
import { until } from '../fixtures/until.js';

const ok = await emulatorAvailable();
const why = ok ? '' : ' [skipped: the emulator needs root with network namespaces, veth and nftables]';
const DEVICES = 32;
const BLIP_MS = 12_000;
const TURNED_AWAY = /turned the login away for now \(.*MaxStartups/;

/** The statuses in which the console said a login was turned away, with the retry it scheduled. */
function refusals(fleet: FleetConsole, from = 0): { at: number; status: DeviceStatus }[] {
  return [...fleet.history.values()].flat().filter((h) => h.at >= from && TURNED_AWAY.test(h.status.detail));
}

describe.skipIf(!ok)(`a blip on a box with MaxStartups 3:100:10, 32 devices at its address${why}`, () => {
  let emu: Emulator;
  let fleet: FleetConsole;

  beforeAll(async () => {
    emu = await startEmulator({ light: true, sshdMaxStartups: '3:100:10' });
    const { ssh } = emu.ready;
    fleet = await openFleetConsole(
      Array.from({ length: DEVICES }, (_, i) => ({
        name: `stage-${String(i + 1).padStart(2, '0')}`,
        ssh,
        hostKeyLine: emu.hostKeyLine,
      })),
    );
  }, 300_000);
  afterAll(async () => {
    await fleet?.stop();
    await emu?.stop();
  });

  it('gets every device back through short retries, and calls each refused login what it is', async () => {
    const firstRefused = refusals(fleet).length;
    await emu.control.linkDown();
    const down = Date.now();
    await until('every device to notice the dead link', () => fleet.live().length === 0 || undefined, 60_000);
    await new Promise((r) => setTimeout(r, Math.max(0, down + BLIP_MS - Date.now())));
    await emu.control.linkUp();
    const up = Date.now();
    await fleet.allLive('all 32 devices back after the blip', 300_000);
    const back = Math.max(
      ...fleet.ids.map(
        (id) => fleet.history.get(id)?.find((h) => h.at >= up && h.status.state === 'connected')?.at ?? NaN,
      ),
    );

    // What sshd itself logged: one line per connection it dropped past MaxStartups.
    const log = await fleet.core.connections.exec(
      fleet.ids[0] ?? '',
      sh`journalctl -t sshd -q --no-pager -g ${'past MaxStartups'}`,
      { timeoutMs: 30_000 },
    );
    const dropped = log.stdout.split('\n').filter((l) => /past MaxStartups/.test(l)).length;
    const seen = refusals(fleet);
    const afterBlip = refusals(fleet, up);
    console.info(
      `max-startups: ${DEVICES} devices at one sshd (MaxStartups 3:100:10): all back ${((back - up) / 1000).toFixed(1)} s after link-up; ` +
        `sshd turned away ${dropped} logins in all, the console saw ${seen.length} ` +
        `(${firstRefused} while connecting at first, ${afterBlip.length} after the blip)`,
    );

    // Every login sshd turned away reached the console as a refusal: none taken for a lost link or a bad login.
    expect(seen.length).toBe(dropped);
    const statuses = [...fleet.history.values()].flat().map((h) => h.status);
    expect(statuses.filter((s) => s.state === 'auth_failed')).toEqual([]);
    expect(
      statuses.filter((s) => /before handshake|ECONNRESET|connection was reset/i.test(s.detail)),
    ).toEqual([]);
    // ... and was retried soon (the policy's 3 s at most), however many attempts the device had made.
    for (const { at, status } of seen) {
      expect(status.state).toBe('unreachable');
      expect((status.retry?.at ?? Infinity) - at).toBeLessThanOrEqual(3000);
      expect(status.detail).toMatch(/; retrying in [1-3] s\.$/);
    }

    // The console never ran more than 3 logins at once to the box (its login gate), so sshd had little reason to
    // refuse any: only in the moment between a login's success and sshd counting it as done.
    const logins = fleet.core.connections.loginGate.recent().filter((r) => r.endedAt !== undefined);
    const overlap = Math.max(
      ...logins.map(
        (r) => logins.filter((o) => o.startedAt <= r.startedAt && (o.endedAt ?? 0) > r.startedAt).length,
      ),
    );
    console.info(`max-startups: at most ${overlap} logins in flight at once to the box`);
    expect(overlap).toBeLessThanOrEqual(3);
  }, 300_000);
});
