/**
 * The encoder history of the emulated R58 through the real Console: the seeds' commits newest first, HEAD on top,
 * the Dec 19 panic commit flagged dangerous, a commit Tally makes by `config.apply` told from the ones made by hand,
 * a qualification note under the notes ref shown as known-good, a dirty tree shown and left alone, and the CLI table.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  historyBadges,
  QUALIFY_NOTES_REF,
  type History,
  type Operation,
  type QualificationNote,
} from '../../src-main/contract/index.js';
import { sh } from '../../src-main/core/device/quote.js';
import { historyCommand } from '../../src-main/cli-history.js';
import { CliExit } from '../../src-main/cli-ops.js';
import { emulatorAvailable } from '../../src-main/emulator/index.js';
import { startEmulatedConsole, type EmulatedConsole } from '../fixtures/emulated-console.js';

const ok = await emulatorAvailable();
const why = ok ? '' : ' [skipped: the emulator needs root with network namespaces, veth and nftables]';

const REPO = '/opt/preke-r58-recorder';
const PANIC = 'mpph264enc bps=8000000 bps-max=16000000';
const PROVEN = 'mpph264enc qp-init=26 qp-min=10 qp-max=51 gop=30 rc-mode=cbr bps=8000000';

describe.skipIf(!ok)(`encoder history of the emulated R58${why}`, () => {
  let t: EmulatedConsole;

  const run = async (cmd: ReturnType<typeof sh>): Promise<string> => {
    const r = await t.core.connections.exec(t.deviceId, cmd, { timeoutMs: 20_000 });
    if (r.code !== 0) throw new Error(`${cmd.text}: exit ${r.code}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const history = (): Promise<History> => t.call<History>('history.list', { deviceId: t.deviceId });

  beforeAll(async () => {
    t = await startEmulatedConsole({ cameras: 2, console: { applyWatchMs: 2000 } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('lists the seed commits newest first in one SSH round trip, HEAD on top, the panic commit dangerous', async () => {
    const exec = vi.spyOn(t.core.connections, 'exec');
    const h = await history();
    // The monitor and the probe run commands of their own meanwhile: count the ones that ask git.
    expect(exec.mock.calls.filter(([, cmd]) => cmd.text.includes('git ')).length).toBe(1);
    exec.mockRestore();

    expect(h.head).toBe(await run(sh`git -C ${REPO} rev-parse HEAD`));
    expect(h.dirtyFiles).toEqual([]);
    expect(h.commits.map((c) => c.subject)).toEqual([
      'Switch to H.264 hardware encoding (mpph264enc)',
      'Switch to H.265 hardware encoding (mpph265enc) with RTSP push',
      'Roll back to x264enc after kernel panic',
      'Switch to mpph264enc hardware encoder to cut CPU',
      'Initial recorder: HDMI cameras, x264enc software encoding, RTMP to MediaMTX',
    ]);
    const dates = h.commits.map((c) => Date.parse(c.date));
    expect([...dates].sort((a, b) => b - a)).toEqual(dates);

    const [top] = h.commits;
    expect(top?.sha).toBe(h.head);
    expect(top?.encoder).toBe(PROVEN);
    expect(historyBadges(top!).map((b) => b.id)).toEqual(['head', 'hand']);
    expect(h.commits.every((c) => c.madeBy === 'hand')).toBe(true);

    const panic = h.commits.find((c) => c.encoder === PANIC);
    expect(panic?.subject).toBe('Switch to mpph264enc hardware encoder to cut CPU');
    expect(historyBadges(panic!).map((b) => b.id)).toContain('dangerous');
    expect(panic?.diff).toMatch(/^\+.*mpph264enc/m);
    expect(h.commits.filter((c) => c.danger).map((c) => c.sha)).toEqual([panic?.sha]);
  });

  it('tells a commit Tally makes (config.apply) from the ones made by hand; HEAD moves to it', async () => {
    const before = (await history()).head;
    const started = await t.call<Operation>('config.apply', {
      deviceId: t.deviceId,
      cameras: 'all',
      preset: 'h264-hw',
      bitrateKbps: 6000,
    });
    const op = await t.until(
      'the apply to end',
      async () =>
        (await t.call<Operation[]>('operations.list', { deviceId: t.deviceId })).find(
          (o) => o.id === started.id && o.state !== 'running',
        ),
      90_000,
    );
    expect(op.state, JSON.stringify(op.steps)).toBe('succeeded');

    const h = await history();
    const [top, second] = h.commits;
    expect(top?.sha).toBe(op.commit);
    expect(top?.subject).toMatch(/^Tally: /);
    expect(top?.author).toEqual({ name: 'Tally', email: 'tally@localhost' });
    expect(historyBadges(top!).map((b) => b.id)).toEqual(['head', 'tally']);
    expect(top?.encoder).toContain('bps=6000000');
    expect(top?.diff).toMatch(/^-.*bps: 8000000/m);
    expect(top?.diff).toMatch(/^\+.*bps: 6000000/m);
    expect(second?.sha).toBe(before);
    expect(historyBadges(second!).map((b) => b.id)).toEqual(['hand']);
  });

  it('shows a qualification note under the notes ref as known-good, and a failed one with its reason', async () => {
    const h0 = await history();
    const proven = h0.commits.find((c) => c.encoder === PROVEN)!;
    const panic = h0.commits.find((c) => c.encoder === PANIC)!;
    const kernel = await run(sh`uname -r`);
    const note = (over: Partial<QualificationNote> & { commit: string }): string =>
      JSON.stringify({
        schema: 1,
        encoder: PROVEN,
        kernel,
        variant: 'quick',
        date: new Date().toISOString(),
        verdict: 'pass',
        reason: null,
        evidence: 'Test 1 10 s, Test 2 60 s, Test 3 10 s: no kernel faults, 1 VPU session per camera',
        ...over,
      } satisfies QualificationNote);
    const append = (commit: string, text: string) =>
      run(
        sh`git -C ${REPO} -c user.name=Tally -c user.email=tally@localhost notes --ref=${QUALIFY_NOTES_REF} append -m ${text} ${commit}`,
      );
    await append(proven.sha, note({ commit: proven.sha }));
    await append(
      panic.sha,
      note({
        commit: panic.sha,
        encoder: PANIC,
        verdict: 'fail',
        reason: 'Test 1: Internal error: Oops [#1] SMP',
      }),
    );

    const h = await history();
    const good = h.commits.find((c) => c.sha === proven.sha)!;
    expect(historyBadges(good).map((b) => b.id)).toEqual(['known-good', 'hand']);
    expect(good.qualifications[0]).toMatchObject({ verdict: 'pass', variant: 'quick', kernel });
    const failed = historyBadges(h.commits.find((c) => c.sha === panic.sha)!).find((b) => b.id === 'failed');
    expect(failed?.detail).toContain('Internal error: Oops');
    expect(h.unreadableNotes).toBe(0);
  });

  it('shows a dirty working tree and leaves it as it is', async () => {
    await run(sh`cd ${REPO} && sed -i 's/gop: 30/gop: 60/' config.yml`);
    try {
      const h = await history();
      expect(h.dirtyFiles).toEqual(['config.yml']);
      expect(h.dirtyDiff).toMatch(/^\+.*gop: 60/m);
      expect(await run(sh`git -C ${REPO} status --porcelain --untracked-files=no`)).toBe('M config.yml');
    } finally {
      await run(sh`git -C ${REPO} checkout -- config.yml`);
    }
  });

  it('tally history prints the table newest first and exits 0; an unknown device exits 64', async () => {
    let out = '';
    const io = { out: (s: string) => void (out += s), err: () => undefined };
    expect(await historyCommand(t.core, io, 'demo-r58', { json: false, timeoutMs: 10_000 })).toBe(0);
    const lines = out.split('\n');
    const header = lines.findIndex((l) => l.startsWith('COMMIT'));
    expect(header).toBeGreaterThan(0);
    expect(lines[header + 1]).toMatch(/HEAD, Tally/);
    expect(out).toMatch(/known-good, by hand/);
    expect(out).toMatch(/dangerous/);

    out = '';
    await historyCommand(t.core, io, 'demo-r58', { json: true, timeoutMs: 10_000 });
    expect((JSON.parse(out) as History).commits.length).toBe(6);

    const refused = await historyCommand(t.core, io, 'no-such-box', { json: false, timeoutMs: 1000 }).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(CliExit);
    expect((refused as CliExit).code).toBe(64);
  });
});
