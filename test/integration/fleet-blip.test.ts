/**
 * A venue network blip on a fleet: 32 emulated boxes, each its own device in one Console (the product's own
 * reconnect and keepalive settings), all connected and their kernel logs followed. Every link drops at once for
 * about 12 s and comes back. Numbered kernel lines are printed on every box before, during (while its link is
 * down) and after the blip; every box must be connected again and its kernel log in the console must hold each of
 * those lines exactly once, in order. Prints (never asserts) the time from link-up until all are connected and
 * how the logins spread. TALLY_FLEET_BOXES sets another fleet size, TALLY_BLIP_MS another blip.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MonitorSnapshot } from '../../src-main/contract/index.js';
import { startFleet, type Fleet, type FleetBox } from '../../src-main/emulator/fleet.js';
import { emulatorAvailable } from '../../src-main/emulator/index.js';
import { openFleetConsole, type FleetConsole } from '../fixtures/fleet-console.js';
import { until } from '../fixtures/until.js';

const ok = await emulatorAvailable();
const why = ok ? '' : ' [skipped: the emulator needs root with network namespaces, veth and nftables]';
const BOXES = Number(process.env.TALLY_FLEET_BOXES ?? 32);
const BLIP_MS = Number(process.env.TALLY_BLIP_MS ?? 12_000);

const name = (box: number) => `box-${String(box + 1).padStart(2, '0')}`;
/** The kernel line number `n` printed on one box: the box's name in it, so a line that went astray shows. */
const line = (box: number, n: number) => `tally-blip ${name(box)} line ${String(n).padStart(3, '0')}`;

describe.skipIf(!ok)(`a network blip on ${BOXES} boxes${why}`, () => {
  let emulated: Fleet | undefined;
  let boxes: FleetBox[] = [];
  let fleet: FleetConsole;
  const sent: string[][] = [];

  beforeAll(async () => {
    emulated = await startFleet({ count: BOXES });
    boxes = emulated.boxes;
    fleet = await openFleetConsole(
      boxes.map((b, i) => ({ name: name(i), ssh: b.ready.ssh, hostKeyLine: b.hostKeyLine })),
    );
  }, 600_000);
  afterAll(async () => {
    await fleet?.stop();
    await emulated?.stop();
  });

  /** Print the next `count` numbered lines on every box, each box one batch. */
  const print = (count: number) =>
    Promise.all(
      boxes.map(async (b, i) => {
        const mine = (sent[i] ??= []);
        const batch = Array.from({ length: count }, (_, k) => line(i, mine.length + k + 1));
        await b.control.kernel(batch.join('\n'));
        mine.push(...batch);
      }),
    );

  const snapshot = (i: number) =>
    fleet.call<MonitorSnapshot>('monitor.snapshot', { deviceId: fleet.ids[i] ?? '' });

  /** This box's injected lines as the console holds them, in the console's order. */
  const held = async (i: number) =>
    (await snapshot(i)).lines.map((l) => l.text).filter((t) => t.startsWith('tally-blip '));

  it('brings every box back, each kernel log resumed with nothing lost or repeated', async () => {
    await until(
      'every box’s kernel log followed',
      async () => {
        const snaps = await Promise.all(boxes.map((_, i) => snapshot(i)));
        const not = snaps.filter((s) => s.status.kernelLog.state !== 'following');
        if (not.length === 0) return true;
        throw new Error(`${not.length} not following, e.g. ${JSON.stringify(not[0]?.status.kernelLog)}`);
      },
      240_000,
    );
    await print(5);
    await until(
      'the lines before the blip in the console',
      async () =>
        (await Promise.all(boxes.map((_, i) => held(i)))).every((h, i) => h.length === sent[i]?.length) ||
        undefined,
      120_000,
    );

    await emulated?.control.linkDown();
    const down = Date.now();
    await print(5);
    await until('every box to be seen lost', () => fleet.live().length === 0 || undefined, 60_000);
    await print(5);
    await new Promise((r) => setTimeout(r, Math.max(0, down + BLIP_MS - Date.now())));
    await emulated?.control.linkUp();
    const up = Date.now();
    await print(5);
    await fleet.allLive(`all ${BOXES} boxes connected again`, 300_000);
    await print(5);

    // Each box was lost and came back (not a link that merely stayed up through the blip).
    for (const id of fleet.ids) {
      const h = fleet.history.get(id) ?? [];
      expect(h.some((e) => e.at >= down && e.status.linkLost !== undefined)).toBe(true);
      expect(h.some((e) => e.at >= up && e.status.state === 'connected')).toBe(true);
    }

    const expected = sent.map((s) => s.length);
    await until(
      'every injected line in the console',
      async () =>
        (await Promise.all(boxes.map((_, i) => held(i)))).every((h, i) => h.length >= (expected[i] ?? 0)) ||
        undefined,
      180_000,
    );
    // Give a repeated line the time to arrive before judging.
    await new Promise((r) => setTimeout(r, 2000));
    for (let i = 0; i < boxes.length; i++) expect(await held(i), name(i)).toEqual(sent[i]);

    const backAt = fleet.ids.map(
      (id) => fleet.history.get(id)?.find((e) => e.at >= up && e.status.state === 'connected')?.at ?? NaN,
    );
    const recent = fleet.core.connections.loginGate.recent().filter((r) => r.startedAt >= up - 5000);
    const logins = recent.map((r) => r.startedAt);
    const ready = recent.filter((r) => r.outcome === 'ready').length;
    const perSecond = Math.max(...logins.map((t) => logins.filter((u) => u >= t && u < t + 1000).length));
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    console.info(
      `fleet-blip: ${BOXES} boxes, links down ${s(up - down)}; all connected ${s(Math.max(...backAt) - up)} after link-up ` +
        `(first ${s(Math.min(...backAt) - up)}); ${logins.length} logins (${ready} succeeded) started from 5 s before link-up, ` +
        `from ${s(Math.min(...logins) - up)} to ${s(Math.max(...logins) - up)} after it, at most ${perSecond} in any 1 s`,
    );
  }, 600_000);
});
