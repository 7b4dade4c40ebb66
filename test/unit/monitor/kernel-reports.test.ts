import { describe, expect, it } from 'vitest';
import { KernelEvent } from '../../../src-main/contract/index.js';
import { parseDmesgLine, parseJournalLine } from '../../../src-main/core/monitor/kernel-parse.js';
import {
  MAX_REPORT_LINES,
  ReportAssembler,
  type ClassifiedLine,
} from '../../../src-main/core/monitor/kernel-reports.js';
import { KernelLog } from '../../../src-main/emulator/device/kernel/log.js';
import {
  oopsLines,
  tooManySessionsLines,
  type KernelText,
} from '../../../src-main/emulator/device/kernel/text.js';
import { assemble, fixtureLines, parseAll, type Run } from './fixtures/pipeline.js';

const dmesg = (name: string): Run => assemble(parseAll(fixtureLines(name), parseDmesgLine));

/** Plain dmesg lines with increasing stamps, for reports written inline. */
function plain(lines: string[], priority = 4): Run {
  return assemble(lines.map((text, i) => ({ usec: 1_000_000 + i, priority, text })));
}

function idsOf(run: Run): Array<string | undefined> {
  return run.rows.map((r) => r.step.eventId);
}

const OOPS_FRAMES = [
  'rkvenc_run+0x1c4/0x3b0 [rk_vcodec]',
  'mpp_task_run+0x9c/0x1e0 [rk_vcodec]',
  'mpp_try_run+0x128/0x1f0 [rk_vcodec]',
  'mpp_process_task_default+0x1b0/0x2a8 [rk_vcodec]',
  'mpp_process_task+0x5c/0x90 [rk_vcodec]',
  'mpp_collect_msgs+0x3d8/0x6d0 [rk_vcodec]',
  'mpp_dev_ioctl+0x10c/0x220 [rk_vcodec]',
  '__arm64_sys_ioctl+0xac/0xf0',
  'el0_svc_common.constprop.0+0x88/0x1f8',
  'do_el0_svc+0x2c/0x98',
  'el0_svc+0x20/0x30',
  'el0_sync_handler+0x90/0xb8',
  'el0_sync+0x180/0x1c0',
];

describe('ReportAssembler: a full arm64 Oops followed by a panic', () => {
  const run = dmesg('oops-rkvenc-panic.dmesg-r.txt');
  // Fixture layout: 2 driver lines, the Oops on lines 3..47, the panic on 48..53.
  const oops = run.final.get('t-1');
  const panic = run.final.get('t-2');

  it('makes exactly two reports', () => {
    expect(run.rows).toHaveLength(53);
    expect([...run.final.keys()]).toEqual(['t-1', 't-2']);
  });

  it('titles the Oops with its Internal error line and names the process', () => {
    expect(oops).toEqual({
      id: 't-1',
      category: 'oops',
      severity: 'critical',
      title: 'Internal error: Oops: 96000005 [#1] SMP',
      firstSeq: 3,
      lastSeq: 47,
      usec: 4_231_118_402,
      process: 'gst-launch-1.0',
      pid: 1234,
      callTrace: OOPS_FRAMES,
      open: false,
    });
  });

  it('tags every member line with the eventId and category oops, and nothing around it', () => {
    const ids = idsOf(run);
    expect(ids.slice(0, 2)).toEqual([undefined, undefined]);
    expect(ids.slice(2, 47).every((id) => id === 't-1')).toBe(true);
    expect(run.rows.slice(2, 47).every((r) => r.step.category === 'oops')).toBe(true);
    // Continuation lines keep their own severity: the register dump was printed at warning.
    expect(run.rows[20]?.line.text).toBe('sp : ffffffc01e6b3b90');
    expect(run.rows[20]?.step.severity).toBe('warning');
    // Before assembly the pc line looked like a VPU line.
    expect(run.rows[18]?.line.category).toBe('vpu');
    expect(run.rows[18]?.step.category).toBe('oops');
  });

  it('retitles the event when the Internal error line arrives, open until the end marker', () => {
    const firstEvent = run.rows[2]?.step.event;
    expect(firstEvent?.title).toBe(
      'Unable to handle kernel NULL pointer dereference at virtual address 0000000000000010',
    );
    expect(firstEvent?.open).toBe(true);
    expect(firstEvent?.callTrace).toEqual([]);
    expect(run.rows[13]?.step.event?.title).toBe('Internal error: Oops: 96000005 [#1] SMP');
    expect(run.rows[45]?.step.event?.open).toBe(true);
    expect(run.rows[46]?.line.text).toBe('---[ end trace 3f1c2a9b12345678 ]---');
    expect(run.rows[46]?.step.event?.open).toBe(false);
  });

  it('makes the panic its own event, naming the process of the Oops just before it', () => {
    expect(panic).toEqual({
      id: 't-2',
      category: 'panic',
      severity: 'critical',
      title: 'Kernel panic - not syncing: Oops: Fatal exception',
      firstSeq: 48,
      lastSeq: 53,
      usec: 4_231_131_022,
      process: 'gst-launch-1.0',
      pid: 1234,
      callTrace: [],
      open: false,
    });
    expect(idsOf(run).slice(47)).toEqual(['t-2', 't-2', 't-2', 't-2', 't-2', 't-2']);
  });

  it('emits a fresh object per line and every event fits the contract', () => {
    const forOops = run.emitted.filter((e) => e.id === 't-1');
    expect(forOops).toHaveLength(45);
    expect(new Set(forOops).size).toBe(45);
    expect(new Set(forOops.map((e) => e.callTrace)).size).toBe(45);
    for (const event of run.emitted) expect(KernelEvent.safeParse(event).success).toBe(true);
  });
});

describe('ReportAssembler: RCU stalls', () => {
  it('groups a self-detected stall with its task dump and closes it at the next unrelated line', () => {
    const run = dmesg('rcu-self-detected.dmesg.txt');
    expect(run.rows).toHaveLength(33);
    expect(run.rows.slice(0, 2).map((r) => [r.step.eventId, r.step.category, r.step.severity])).toEqual([
      [undefined, 'vpu', 'error'],
      [undefined, 'vpu', 'error'],
    ]);
    const event = run.final.get('t-1');
    expect(event?.title).toBe('rcu: INFO: rcu_preempt self-detected stall on CPU');
    expect(event?.category).toBe('rcu_stall');
    expect(event?.severity).toBe('critical');
    expect([event?.firstSeq, event?.lastSeq]).toEqual([3, 32]);
    expect([event?.process, event?.pid]).toEqual(['gst-launch-1.0', 2417]);
    expect(event?.callTrace).toHaveLength(24);
    expect(event?.callTrace[0]).toBe('dump_backtrace+0x0/0x1c8');
    expect(event?.callTrace[16]).toBe('mpp_session_attach_workqueue+0x88/0x1c0 [rk_vcodec]');
    expect(
      idsOf(run)
        .slice(2, 32)
        .every((id) => id === 't-1'),
    ).toBe(true);
    const last = run.rows[32];
    expect(last?.step).toEqual({ category: 'network', severity: 'warning', closed: event });
    expect(last?.step.closed?.open).toBe(false);
  });

  it('groups a detected stall and the starved-kthread note that follows it, read from the journal', () => {
    const run = assemble(parseAll(fixtureLines('kernel.journal.jsonl'), parseJournalLine), 'r58');
    expect([...run.final.keys()]).toEqual(['r58-1']);
    const event = run.final.get('r58-1');
    expect(event).toMatchObject({
      category: 'rcu_stall',
      severity: 'critical',
      title: 'rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:',
      firstSeq: 4,
      lastSeq: 23,
      usec: 5_102_331_907,
      process: 'mpp_rkvenc2_wor',
      pid: 412,
      open: false,
    });
    expect(event?.callTrace).toEqual([
      '__switch_to+0x104/0x160',
      '0xffffff8107f2c000',
      '__switch_to+0x104/0x160',
      '__schedule+0x2f8/0x6f0',
      'schedule+0x74/0x100',
      'schedule_timeout+0x90/0x100',
      'rcu_gp_kthread+0x5c8/0xc28',
      'kthread+0x14c/0x160',
      'ret_from_fork+0x10/0x30',
    ]);
    expect(run.rows[23]?.step.closed?.id).toBe('r58-1');
    expect(run.rows[23]?.step.category).toBe('video');
    expect(run.rows[2]?.step).toEqual({ category: 'usb', severity: 'info' });
  });
});

describe('ReportAssembler: WARNING splats and BUGs', () => {
  it('makes a WARNING with its registers and trace one oops event of severity warning', () => {
    const run = dmesg('warning-mpp-timeout.dmesg.txt');
    expect(run.final.get('t-1')).toEqual({
      id: 't-1',
      category: 'oops',
      severity: 'warning',
      title:
        'WARNING: CPU: 5 PID: 412 at drivers/video/rockchip/mpp/mpp_common.c:1395 mpp_task_timeout_work+0x1a4/0x1d0 [rk_vcodec]',
      firstSeq: 1,
      lastSeq: 27,
      usec: 812_441_208,
      process: 'kworker/5:2',
      pid: 412,
      callTrace: [
        'mpp_task_timeout_work+0x1a4/0x1d0 [rk_vcodec]',
        'process_one_work+0x1f8/0x490',
        'worker_thread+0x1fc/0x4ec',
        'kthread+0x14c/0x160',
        'ret_from_fork+0x10/0x30',
      ],
      open: false,
    });
    expect(run.rows).toHaveLength(28);
    // The end marker closed it already, so the next line closes nothing.
    expect(run.rows[27]?.step).toEqual({ category: 'vpu', severity: 'info' });
  });

  it('keeps cut here, kernel BUG and its Internal error together, titled by the Internal error', () => {
    const run = plain([
      '------------[ cut here ]------------',
      'kernel BUG at drivers/video/rockchip/mpp/mpp_common.c:812!',
      'Internal error: Oops - BUG: 0 [#2] SMP',
      'Modules linked in: rk_vcodec',
      'CPU: 1 PID: 77 Comm: mpp_rkvdec2_wor Not tainted 5.10.160-rockchip-rk3588 #1',
      'Call trace:',
      ' mpp_task_finish+0x1c/0x80 [rk_vcodec]',
      '---[ end trace 0000000000000002 ]---',
    ]);
    expect([...run.final.values()]).toEqual([
      {
        id: 't-1',
        category: 'oops',
        severity: 'critical',
        title: 'Internal error: Oops - BUG: 0 [#2] SMP',
        firstSeq: 1,
        lastSeq: 8,
        usec: 1_000_000,
        process: 'mpp_rkvdec2_wor',
        pid: 77,
        callTrace: ['mpp_task_finish+0x1c/0x80 [rk_vcodec]'],
        open: false,
      },
    ]);
  });

  it('closes a BUG: report that has no end marker at the first line that cannot continue it', () => {
    const run = plain([
      'BUG: scheduling while atomic: gst-launch-1.0/1234/0x00000002',
      'Modules linked in: rk_vcodec',
      'CPU: 0 PID: 1234 Comm: gst-launch-1.0 Tainted: G        W         5.10.160-rockchip-rk3588 #1',
      'Call trace:',
      ' dump_backtrace+0x0/0x1c8',
      'random: crng init done',
    ]);
    expect(idsOf(run)).toEqual(['t-1', 't-1', 't-1', 't-1', 't-1', undefined]);
    expect(run.rows[5]?.step.closed).toMatchObject({
      id: 't-1',
      lastSeq: 5,
      process: 'gst-launch-1.0',
      pid: 1234,
    });
  });

  it('starts a new report for a second headline, a new cut here, or a new abort', () => {
    const run = plain([
      'Internal error: Oops: 96000005 [#1] SMP',
      'Internal error: Oops: 96000005 [#2] SMP',
      'Unable to handle kernel paging request at virtual address ffffffc0093a0048',
      '------------[ cut here ]------------',
      'WARNING: CPU: 5 PID: 412 at drivers/foo.c:1 f+0x1/0x2',
      'WARNING: CPU: 5 PID: 412 at drivers/foo.c:1 f+0x1/0x2',
    ]);
    expect(idsOf(run)).toEqual(['t-1', 't-2', 't-3', 't-4', 't-4', 't-5']);
    expect(run.rows.map((r) => r.step.closed?.id)).toEqual([
      undefined,
      't-1',
      't-2',
      't-3',
      undefined,
      't-4',
    ]);
  });
});

describe('ReportAssembler: panics', () => {
  const standalone = [
    'Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b',
    'CPU: 0 PID: 1 Comm: systemd Not tainted 5.10.160-rockchip-rk3588 #1',
    'Hardware name: Rockchip RK3588 R58 Board (DT)',
    'Call trace:',
    ' dump_backtrace+0x0/0x1c8',
    ' show_stack+0x18/0x28',
    ' panic+0x16c/0x334',
    ' do_exit+0x9d4/0x9d8',
    'SMP: stopping secondary CPUs',
    'Kernel Offset: disabled',
    'CPU features: 0x08240002,2188200c',
    'Memory Limit: none',
    '---[ end Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b ]---',
  ];

  it('makes a standalone panic with its stack dump one event', () => {
    const run = plain(standalone, 0);
    expect([...run.final.values()]).toEqual([
      {
        id: 't-1',
        category: 'panic',
        severity: 'critical',
        title: 'Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b',
        firstSeq: 1,
        lastSeq: 13,
        usec: 1_000_000,
        process: 'systemd',
        pid: 1,
        callTrace: [
          'dump_backtrace+0x0/0x1c8',
          'show_stack+0x18/0x28',
          'panic+0x16c/0x334',
          'do_exit+0x9d4/0x9d8',
        ],
        open: false,
      },
    ]);
  });

  it('does not lend a panic the process of an Oops long before it', () => {
    const noise = Array.from({ length: 9 }, (_, i) => `random: noise ${i}`);
    const run = plain([
      'Internal error: Oops: 96000005 [#1] SMP',
      'CPU: 3 PID: 1234 Comm: gst-launch-1.0 Not tainted 5.10.160-rockchip-rk3588 #1',
      '---[ end trace 3f1c2a9b12345678 ]---',
      ...noise,
      'Kernel panic - not syncing: hung_task: blocked tasks',
    ]);
    const panic = run.final.get('t-2');
    expect(panic?.title).toBe('Kernel panic - not syncing: hung_task: blocked tasks');
    expect(panic?.process).toBeUndefined();
    expect(panic?.pid).toBeUndefined();
    // Still open when the stream ended: finish() closed it.
    expect(panic?.open).toBe(false);
    expect(run.rows[12]?.step.event?.open).toBe(true);
  });

  it('closes an Oops that never printed its end marker when the panic starts', () => {
    const run = plain([
      'Internal error: Oops: 96000005 [#1] SMP',
      'CPU: 3 PID: 1234 Comm: gst-launch-1.0 Not tainted 5.10.160-rockchip-rk3588 #1',
      'Kernel panic - not syncing: Oops: Fatal exception in interrupt',
    ]);
    const last = run.rows[2]?.step;
    expect(last?.closed).toMatchObject({ id: 't-1', open: false, lastSeq: 2 });
    expect(last?.event).toMatchObject({ id: 't-2', open: true, process: 'gst-launch-1.0', pid: 1234 });
  });
});

describe('ReportAssembler: the emulator’s own kernel text', () => {
  function throughEmulatorLog(texts: KernelText[]): Run {
    let clock = 4_000_000_000;
    const log = new KernelLog({ clockUsec: () => (clock += 11) });
    for (const t of texts) log.append(t.text, t.level);
    return assemble(
      parseAll(
        log.lines().map((l) => `<${l.priority}>${l.formatted}`),
        parseDmesgLine,
      ),
      'emu',
    );
  }

  it('groups the Oops the panic config prints', () => {
    const oops = oopsLines({
      count: 29,
      pid: 3141,
      comm: 'gst-launch-1.0',
      cpu: 6,
      traceId: '5d2c91e07a3b4f18',
    });
    const run = throughEmulatorLog(oops);
    expect(run.rows).toHaveLength(oops.length);
    expect(idsOf(run).every((id) => id === 'emu-1')).toBe(true);
    const event = run.final.get('emu-1');
    expect(event).toMatchObject({
      title: 'Internal error: Oops: 0000000096000005 [#29] SMP',
      category: 'oops',
      severity: 'critical',
      process: 'gst-launch-1.0',
      pid: 3141,
      firstSeq: 1,
      lastSeq: oops.length,
      open: false,
    });
    expect(event?.callTrace).toHaveLength(13);
    expect(event?.callTrace[0]).toBe('rkvenc2_set_rc_cfg+0x1c8/0x4b0');
    expect(event?.callTrace[12]).toBe('el0t_64_sync+0x1a0/0x1a4');
  });

  it('groups the stall that follows too many sessions, leaving the two refusals standalone', () => {
    const texts = tooManySessionsLines({
      kind: 'dec',
      pid: 2718,
      comm: 'gst-launch-1.0',
      cpu: 2,
      sessions: 9,
      jiffies: 60993,
    });
    const run = throughEmulatorLog([...texts, { text: 'random: crng init done', level: 'notice' }]);
    expect(run.rows.map((r) => [r.step.eventId, r.step.category])).toEqual([
      [undefined, 'vpu'],
      [undefined, 'vpu'],
      ...Array.from({ length: 9 }, () => ['emu-1', 'rcu_stall']),
      [undefined, 'other'],
    ]);
    expect(run.rows[1]?.line.text).toBe('rkvdec: failed to allocate decoder instance');
    expect(run.final.get('emu-1')).toMatchObject({
      title: 'rcu: INFO: rcu_preempt self-detected stall on CPU',
      process: 'gst-launch-1.0',
      pid: 2718,
      firstSeq: 3,
      lastSeq: 11,
      callTrace: [
        'mpp_session_attach_workqueue+0x88/0x1c0',
        'mpp_dev_ioctl+0x10c/0x220',
        '__arm64_sys_ioctl+0xac/0xf0',
      ],
      open: false,
    });
  });
});

describe('ReportAssembler: limits and lifecycle', () => {
  const line = (
    seq: number,
    text: string,
    category: ClassifiedLine['category'] = 'other',
  ): ClassifiedLine => ({
    seq,
    usec: seq,
    text,
    category,
    severity: 'warning',
  });

  it('closes a report at MAX_REPORT_LINES; what follows stands alone', () => {
    const a = new ReportAssembler({ idPrefix: 'cap' });
    const first = a.push(line(1, 'rcu: INFO: rcu_preempt self-detected stall on CPU', 'rcu_stall'));
    expect(first.event?.open).toBe(true);
    let step = first;
    for (let seq = 2; seq <= MAX_REPORT_LINES; seq++) step = a.push(line(seq, ` frame_${seq}+0x1/0x2`));
    expect(MAX_REPORT_LINES).toBe(400);
    expect(step.event).toMatchObject({ id: 'cap-1', open: false, firstSeq: 1, lastSeq: 400 });
    expect(a.push(line(401, ' frame_401+0x1/0x2'))).toEqual({ category: 'other', severity: 'warning' });
    expect(a.finish()).toEqual([]);
  });

  it('keeps at most 128 frames and clips a huge title', () => {
    const a = new ReportAssembler({ idPrefix: 'x' });
    a.push(line(1, `Internal error: Oops: ${'9'.repeat(1000)}`, 'oops'));
    a.push(line(2, 'Call trace:'));
    for (let seq = 3; seq < 300; seq++) a.push(line(seq, ` f${seq}+0x1/0x2`));
    const [event] = a.finish();
    expect(event?.callTrace).toHaveLength(128);
    expect(event?.callTrace[127]).toBe('f130+0x1/0x2');
    expect(event?.title).toHaveLength(240);
    expect(event?.title.endsWith('…')).toBe(true);
    expect(event?.lastSeq).toBe(299);
  });

  it('finish() closes what is open once, and ids keep counting after it', () => {
    const a = new ReportAssembler({ idPrefix: 'dev-7' });
    a.push(
      line(1, 'Unable to handle kernel NULL pointer dereference at virtual address 0000000000000010', 'oops'),
    );
    expect(a.finish()).toMatchObject([{ id: 'dev-7-1', open: false, firstSeq: 1, lastSeq: 1 }]);
    expect(a.finish()).toEqual([]);
    expect(a.push(line(2, 'Internal error: Oops: 96000005 [#1] SMP', 'oops')).eventId).toBe('dev-7-2');
  });

  it('leaves a call trace whose header it never saw alone (stream joined mid-report)', () => {
    const a = new ReportAssembler({ idPrefix: 'x' });
    expect(a.push(line(1, ' rkvenc_run+0x1c4/0x3b0 [rk_vcodec]', 'vpu'))).toEqual({
      category: 'vpu',
      severity: 'warning',
    });
    expect(a.push(line(2, '---[ end trace 3f1c2a9b12345678 ]---'))).toEqual({
      category: 'other',
      severity: 'warning',
    });
  });

  it('keeps lastSeq >= firstSeq when sequence numbers go backwards', () => {
    const a = new ReportAssembler({ idPrefix: 'x' });
    a.push(line(10, 'Internal error: Oops: 96000005 [#1] SMP', 'oops'));
    const step = a.push(line(3, 'Call trace:'));
    expect(step.event).toMatchObject({ firstSeq: 10, lastSeq: 10 });
  });
});
