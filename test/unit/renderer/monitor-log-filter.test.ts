import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KernelLine } from '../../../src-main/contract/index.js';
import {
  FilteredView,
  compileFilter,
  isAlarmLine,
  nextAlarmIndex,
} from '../../../src-renderer/monitor/log-filter.js';
import { LogView } from '../../../src-renderer/monitor/log-view.js';
import { Ring } from '../../../src-renderer/monitor/ring.js';
import { line, lookupOf, report } from './monitor-fixtures.js';

const oops = report('e1', 'oops', 3, 5);
const lookup = lookupOf(oops);
const log: KernelLine[] = [
  line(1, 'mpp_service mpp-srv: probe success', { category: 'vpu' }),
  line(2, 'r8125 enP4p65s0: Link is Up', { category: 'network' }),
  line(3, 'Internal error: Oops: 0000000096000005 [#1] SMP', {
    severity: 'critical',
    category: 'oops',
    eventId: 'e1',
  }),
  line(4, 'Call trace:', { severity: 'warning', eventId: 'e1' }),
  line(5, ' rkvenc2_set_rc_cfg+0x1c8/0x4b0', { severity: 'warning', eventId: 'e1' }),
  line(6, 'usb 1-1: new high-speed USB device', { category: 'usb' }),
  line(7, 'mpp_service: error: too many sessions', { severity: 'error', category: 'vpu' }),
];

describe('kernel log filter', () => {
  it('keeps a whole report under its category, call trace lines included', () => {
    const match = compileFilter({ categories: ['oops'], text: '' }, lookup);
    expect(log.filter(match).map((l) => l.seq)).toEqual([3, 4, 5]);
  });

  it('matches text case-insensitively, combined with categories', () => {
    expect(
      log.filter(compileFilter({ categories: [], text: 'MPP_SERVICE' }, lookup)).map((l) => l.seq),
    ).toEqual([1, 7]);
    expect(
      log.filter(compileFilter({ categories: ['vpu'], text: 'error' }, lookup)).map((l) => l.seq),
    ).toEqual([7]);
    expect(log.filter(compileFilter({ categories: [], text: '  ' }, lookup))).toHaveLength(log.length);
  });

  it('calls critical and error lines, and every line of an Oops report, alarm lines', () => {
    expect(log.filter((l) => isAlarmLine(l, lookup)).map((l) => l.seq)).toEqual([3, 4, 5, 7]);
  });
});

describe('next alarm', () => {
  it('stops once per report, then at the next error line, then wraps to the top', () => {
    const first = nextAlarmIndex(log, -1, lookup, true);
    expect(log[first]?.seq).toBe(3);
    const second = nextAlarmIndex(log, first, lookup, true);
    expect(log[second]?.seq).toBe(7);
    expect(nextAlarmIndex(log, second, lookup, false)).toBe(-1);
    expect(log[nextAlarmIndex(log, second, lookup, true)]?.seq).toBe(3);
  });

  it('says -1 when there is no alarm line at all', () => {
    const calm = [line(1), line(2)];
    expect(nextAlarmIndex(calm, -1, lookup, true)).toBe(-1);
    expect(nextAlarmIndex([], -1, lookup, true)).toBe(-1);
  });
});

describe('filtered view', () => {
  it('drops from the front by seq and finds lines by seq', () => {
    const view = new FilteredView();
    view.reset([line(2), line(4), line(6)]);
    view.append([line(8)]);
    expect(view.indexOfSeq(6)).toBe(2);
    expect(view.indexOfSeq(5)).toBe(-1);
    view.dropBefore(5);
    expect(view.toArray().map((l) => l.seq)).toEqual([6, 8]);
    expect(view.dropped).toBe(2);
    expect(view.at(0)?.seq).toBe(6);
    expect(view.indexOfSeq(8)).toBe(1);
  });

  it('stays correct through compaction (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 30 }), (steps) => {
        const view = new FilteredView();
        let seq = 0;
        let model: number[] = [];
        for (const n of steps) {
          const batch = Array.from({ length: n }, () => line(++seq));
          view.append(batch);
          model.push(...batch.map((l) => l.seq));
          const cut = seq - 5000;
          view.dropBefore(cut);
          model = model.filter((s) => s >= cut);
        }
        expect(view.length).toBe(model.length);
        expect(view.at(0)?.seq).toBe(model[0]);
        expect(view.last()?.seq).toBe(model.at(-1));
      }),
    );
  });
});

describe('log view over the ring', () => {
  it('follows the ring: new lines appended, evicted ones dropped, filtered as it goes', () => {
    const ring = new Ring<KernelLine>(5);
    const view = new LogView(ring, lookup);
    ring.pushAll([line(1), line(2, 'x', { severity: 'error' })]);
    view.sync();
    expect(view.view.length).toBe(2);
    view.setFilter({ categories: [], text: 'x' });
    expect(view.view.toArray().map((l) => l.seq)).toEqual([2]);
    ring.pushAll([line(3, 'x'), line(4), line(5, 'x'), line(6), line(7, 'x')]);
    view.sync();
    // The ring now holds 3..7; line 2 went with it.
    expect(view.view.toArray().map((l) => l.seq)).toEqual([3, 5, 7]);
  });

  it('holds still while paused, counts what it holds back, and catches up on resume', () => {
    const ring = new Ring<KernelLine>(100);
    const view = new LogView(ring, lookup);
    ring.pushAll([line(1), line(2)]);
    view.sync();
    view.pause();
    ring.pushAll([line(3), line(4), line(5)]);
    view.sync();
    expect(view.view.length).toBe(2);
    expect(view.heldBack).toBe(3);
    view.resume();
    expect(view.view.length).toBe(5);
    expect(view.heldBack).toBe(0);
  });

  it('answers a new filter from everything kept, even while paused, and holds back only what comes after', () => {
    const ring = new Ring<KernelLine>(100);
    const view = new LogView(ring, lookup);
    view.pause();
    ring.pushAll([line(1, 'a'), line(2, 'b'), line(3, 'a')]);
    view.setFilter({ categories: [], text: 'a' });
    expect(view.view.toArray().map((l) => l.seq)).toEqual([1, 3]);
    expect(view.heldBack).toBe(0);
    ring.push(line(4, 'a'));
    view.sync();
    expect(view.view.length).toBe(2);
    expect(view.heldBack).toBe(1);
  });

  it('starts over when the ring was refilled with older seqs (a fresh snapshot)', () => {
    const ring = new Ring<KernelLine>(10);
    const view = new LogView(ring, lookup);
    ring.pushAll([line(10), line(11)]);
    view.sync();
    ring.clear();
    ring.pushAll([line(1), line(2), line(3)]);
    view.sync();
    expect(view.view.toArray().map((l) => l.seq)).toEqual([1, 2, 3]);
  });

  it('takes 50,000 lines in batches into a 20,000-line ring and keeps exactly the newest 20,000', () => {
    const ring = new Ring<KernelLine>(20_000);
    const view = new LogView(ring, lookup);
    let seq = 0;
    for (let b = 0; b < 100; b++) {
      ring.pushAll(Array.from({ length: 500 }, () => line(++seq, `flood ${seq}`)));
      view.sync();
    }
    expect(ring.total).toBe(50_000);
    expect(view.view.length).toBe(20_000);
    expect(view.view.at(0)?.seq).toBe(30_001);
    expect(view.view.last()?.seq).toBe(50_000);
  });
});
