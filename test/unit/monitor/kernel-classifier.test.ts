import { describe, expect, it } from 'vitest';
import type { KernelCategory, Severity } from '../../../src-main/contract/index.js';
import {
  classify,
  HEAD_CHARS,
  PATTERNS,
  severityForPriority,
} from '../../../src-main/core/monitor/kernel-classifier.js';
import { parseDmesgLine } from '../../../src-main/core/monitor/kernel-parse.js';
import { fixtureLines } from './fixtures/pipeline.js';

type Case = [text: string, priority: number, category: KernelCategory, severity: Severity];

/** The lines the seeds (000, 002) quote, at the priority the kernel prints them and at plain info. */
const SEEDS: Case[] = [
  ['Internal error: Oops: 0000000096000005 [#29] SMP', 0, 'oops', 'critical'],
  ['Internal error: Oops: 0000000096000005 [#29] SMP', 6, 'oops', 'critical'],
  ['rcu: INFO: rcu_preempt self-detected stall on CPU', 3, 'rcu_stall', 'critical'],
  ['rcu: INFO: rcu_preempt self-detected stall on CPU', 6, 'rcu_stall', 'critical'],
  ['mpp_service: error: too many sessions', 3, 'vpu', 'error'],
  ['mpp_service: error: too many sessions', 6, 'vpu', 'error'],
  ['rkvenc: failed to allocate encoder instance', 6, 'vpu', 'error'],
  ['rkvdec: failed to allocate decoder instance', 3, 'vpu', 'error'],
  ['Kernel panic - not syncing: Oops: Fatal exception', 0, 'panic', 'critical'],
  ['Kernel panic - not syncing: Oops: Fatal exception', 6, 'panic', 'critical'],
];

const REPORTS: Case[] = [
  [
    'Unable to handle kernel NULL pointer dereference at virtual address 0000000000000010',
    1,
    'oops',
    'critical',
  ],
  ['Unable to handle kernel paging request at virtual address ffffffc0093a0048', 6, 'oops', 'critical'],
  ['kernel BUG at drivers/video/rockchip/mpp/mpp_common.c:812!', 4, 'oops', 'critical'],
  ['BUG: scheduling while atomic: gst-launch-1.0/1234/0x00000002', 3, 'oops', 'critical'],
  ['watchdog: BUG: soft lockup - CPU#2 stuck for 22s! [mpp_rkvenc2_wor:412]', 0, 'oops', 'critical'],
  ['SError Interrupt on CPU3, code 0xbe000011 -- SError', 0, 'oops', 'critical'],
  [
    'WARNING: CPU: 5 PID: 412 at drivers/video/rockchip/mpp/mpp_common.c:1395 mpp_task_timeout_work+0x1a4/0x1d0',
    4,
    'oops',
    'warning',
  ],
  ['WARNING: CPU: 5 PID: 412 at drivers/foo.c:1 f+0x1/0x2', 6, 'oops', 'warning'],
  ['------------[ cut here ]------------', 4, 'oops', 'warning'],
  ['rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:', 3, 'rcu_stall', 'critical'],
  ['INFO: rcu_sched self-detected stall on CPU', 3, 'rcu_stall', 'critical'],
  [
    'rcu: INFO: rcu_preempt detected expedited stalls on CPUs/tasks: { 3-... } 5256 jiffies s: 1234 root: 0x8/.',
    3,
    'rcu_stall',
    'critical',
  ],
  [
    'rcu: rcu_preempt kthread starved for 5257 jiffies! g103225 f0x0 RCU_GP_WAIT_FQS(5) ->state=0x0 ->cpu=5',
    3,
    'rcu_stall',
    'critical',
  ],
  ['---[ end Kernel panic - not syncing: Oops: Fatal exception ]---', 0, 'panic', 'critical'],
];

const DRIVERS: Case[] = [
  ['mpp_service mpp-srv: probe start', 6, 'vpu', 'info'],
  ['mpp_rkvenc2 fdbd0000.rkvenc-core: probing finish', 6, 'vpu', 'info'],
  ['mpp_rkvdec2 fdc38100.rkvdec-core: task 418 timeout', 6, 'vpu', 'error'],
  ['mpp_rkvenc2 fdbd0000.rkvenc-core: irq status 0x100 error', 4, 'vpu', 'error'],
  ['mpp_iep2 fdbb0000.iep: probe success', 6, 'vpu', 'info'],
  ['rk_vcodec: module verification failed: signature and/or required key missing', 4, 'vpu', 'error'],
  ['Workqueue: events mpp_task_timeout_work [rk_vcodec]', 4, 'vpu', 'warning'],
  ['rga3_core0 fdb60000.rga: Adding to iommu group 2', 6, 'video', 'info'],
  ['rga: rga job timeout', 3, 'video', 'error'],
  ['rkcif-mipi-lvds2: Video device registered as video22', 6, 'video', 'info'],
  [
    'rk_hdmirx fdee0000.hdmirx-controller: hdmirx_wait_lock_and_get_timing signal not lock',
    4,
    'video',
    'warning',
  ],
  ['uvcvideo: Found UVC 1.00 device HD USB Camera (0c45:6366)', 6, 'video', 'info'],
  ['videodev: Linux video capture interface: v2.00', 6, 'video', 'info'],
  ['thermal thermal_zone0: critical temperature reached (115 C), shutting down', 2, 'thermal', 'critical'],
  ['thermal thermal_zone0: critical temperature reached (115 C), shutting down', 6, 'thermal', 'critical'],
  ['rockchip-thermal fec00000.tsadc: Missing rockchip,grf property', 4, 'thermal', 'warning'],
  ['cpu cpu4: cpufreq throttled to 1800 MHz', 6, 'thermal', 'warning'],
  ["thermal_sys: Registered thermal governor 'step_wise'", 6, 'thermal', 'info'],
  ['usb 3-1: new high-speed USB device number 2 using xhci-hcd', 6, 'usb', 'info'],
  ['usb 1-1.2: device descriptor read/64, error -71', 3, 'usb', 'error'],
  ['dwc3 fc000000.usb: failed to allocate memory', 3, 'usb', 'error'],
  ['xhci-hcd xhci-hcd.3.auto: xHCI Host Controller', 6, 'usb', 'info'],
  ['hub 1-0:1.0: USB hub found', 6, 'usb', 'info'],
  ['r8125 0004:41:00.0 enP4p65s0: Link is Up - 1Gbps/Full - flow control rx/tx', 6, 'network', 'info'],
  ['r8125 0004:41:00.0 enP4p65s0: Link is Down', 6, 'network', 'warning'],
  ['rk_gmac-dwmac fe1b0000.ethernet eth0: Link is Up - 1Gbps/Full - flow control off', 6, 'network', 'info'],
  ['stmmac_xmit: Tx Ring full when queue awake', 3, 'network', 'error'],
  ['NETDEV WATCHDOG: eth0 (rk_gmac-dwmac): transmit queue 0 timed out', 4, 'network', 'error'],
  ['IPv6: ADDRCONF(NETDEV_CHANGE): enP4p65s0: link becomes ready', 6, 'network', 'info'],
  ['brcmfmac: brcmf_c_preinit_dcmds: Firmware: BCM4345/6 wl0: Feb 27 2018 03:15:32', 6, 'network', 'info'],
  ['[dhd] dhd_conf_set_path_params : bcmdhd config path', 6, 'network', 'info'],
  ['nf_conntrack: nf_conntrack: table full, dropping packet', 4, 'network', 'warning'],
  [
    'wlan0: deauthenticating from 3c:84:6a:11:22:33 by local choice (Reason: 3=DEAUTH_LEAVING)',
    6,
    'network',
    'info',
  ],
];

const BENIGN: Case[] = [
  ['EXT4-fs (mmcblk0p6): mounted filesystem with ordered data mode. Opts: (null)', 6, 'other', 'info'],
  ['Booting Linux on physical CPU 0x0000000000 [0x412fd050]', 6, 'other', 'info'],
  ['random: crng init done', 5, 'other', 'notice'],
  ['systemd[1]: Started Journal Service.', 6, 'other', 'info'],
  ['systemd[1]: Set hostname to <r58>.', 6, 'other', 'info'],
  ['systemd-journald[312]: Received client request to flush runtime journal.', 6, 'other', 'info'],
  ['rcu: Hierarchical RCU implementation.', 6, 'other', 'info'],
  ['CPU features: detected: Privileged Access Never', 6, 'other', 'info'],
  [
    'Memory: 15680192K/16252928K available (17984K kernel code, 3476K rwdata, 6352K rodata)',
    6,
    'other',
    'info',
  ],
  ['Kernel command line: root=PARTLABEL=rootfs usbcore.autosuspend=-1 console=ttyFIQ0', 5, 'other', 'notice'],
  ['Modules linked in: rk_vcodec bcmdhd dhd_static_buf r8125 rk_hdmirx', 4, 'other', 'warning'],
  ['Call trace:', 4, 'other', 'warning'],
  ['sched: RT throttling activated', 4, 'other', 'warning'],
  [
    'gst-launch-1.0 invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0',
    4,
    'other',
    'error',
  ],
  ['Out of memory: Killed process 1234 (gst-launch-1.0) total-vm:2211012kB', 3, 'other', 'error'],
  ['INFO: task gst-launch-1.0:2417 blocked for more than 120 seconds.', 3, 'other', 'error'],
  [
    'EXT4-fs error (device mmcblk0p6): ext4_find_entry:1456: inode #2: comm ls: reading directory lblock 0',
    2,
    'other',
    'critical',
  ],
  [
    'blk_update_request: I/O error, dev mmcblk1, sector 2048 op 0x1:(WRITE) flags 0x800 phys_seg 1 prio class 0',
    3,
    'other',
    'error',
  ],
  [
    'audit: type=1400 audit(1766400000.123:42): apparmor="STATUS" operation="profile_load"',
    5,
    'other',
    'notice',
  ],
];

const ALL = [...SEEDS, ...REPORTS, ...DRIVERS, ...BENIGN];

describe('classify', () => {
  it.each(ALL)('%s (priority %i) → %s/%s', (text, priority, category, severity) => {
    expect(classify(text, priority)).toEqual({ category, severity });
  });

  it('uses the priority as the floor for a line no pattern knows', () => {
    const expected: Severity[] = [
      'critical',
      'critical',
      'critical',
      'error',
      'warning',
      'notice',
      'info',
      'debug',
    ];
    expected.forEach((severity, priority) => {
      expect(classify('random: crng init done', priority)).toEqual({ category: 'other', severity });
      expect(severityForPriority(priority)).toBe(severity);
    });
  });

  it('never lowers a severity the priority already set', () => {
    expect(classify('mpp_service: error: too many sessions', 0).severity).toBe('critical');
    expect(classify('------------[ cut here ]------------', 1).severity).toBe('critical');
  });

  it('reads odd priorities: facility bits masked, unreadable as info', () => {
    expect(classify('x', 30).severity).toBe('info');
    expect(classify('x', 11).severity).toBe('error');
    expect(classify('x', -1).severity).toBe('info');
    expect(classify('x', Number.NaN).severity).toBe('info');
    expect(classify('x', 2.5).severity).toBe('info');
  });

  it('looks only at the head of a line', () => {
    expect(classify(`${'x'.repeat(HEAD_CHARS)} mpp_service: error: too many sessions`, 6)).toEqual({
      category: 'other',
      severity: 'info',
    });
    expect(classify(`mpp_service: error: too many sessions ${'x'.repeat(20_000)}`, 6).category).toBe('vpu');
  });

  it('classifies a cut 10 kB line from its head', () => {
    const raw = parseDmesgLine(
      `<6>[  100.000001] rkvenc: failed to allocate encoder instance ${'y'.repeat(10_000)}`,
    );
    expect(raw && classify(raw.text, raw.priority)).toEqual({ category: 'vpu', severity: 'error' });
  });

  it('keeps the benign boot fixture out of every fault category', () => {
    const lines = fixtureLines('boot-benign.dmesg-r.txt');
    expect(lines).toHaveLength(18);
    for (const line of lines) {
      const raw = parseDmesgLine(line);
      expect(raw && classify(raw.text, raw.priority).category, line).toBe('other');
    }
  });

  it('has no dead rows: every row of the table is the first match of some example above', () => {
    const used = new Set<number>();
    for (const [text] of ALL) {
      const index = PATTERNS.findIndex(([, , pattern]) => pattern.test(text.slice(0, HEAD_CHARS)));
      if (index >= 0) used.add(index);
    }
    const unused = PATTERNS.map((row, i) => [i, String(row[2])] as const).filter(([i]) => !used.has(i));
    expect(unused).toEqual([]);
  });
});
