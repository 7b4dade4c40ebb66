/**
 * The kernel's words: boot lines and the fault reports the seeds quote (000, 002). Pure functions of their inputs,
 * so the unit tests can read them and the model stays free of string building.
 */
import type { KernelLevel } from './log.js';

export interface KernelText {
  text: string;
  level: KernelLevel;
  /** Fixed timestamp (µs since boot); only the boot lines have one. */
  usec?: number;
}

export const KERNEL_RELEASE = '5.10.160-rockchip-rk3588';
export const HARDWARE_NAME = 'Rockchip RK3588 R58 Board (DT)';
export const MPP_VERSION = '4f7a3f2e author: Ding Wei 2023-11-08 [mpp_rkvenc2]: fix rcb size overflow';

/** RK3588 VPU cores as the BSP device tree names them. */
export const RKVENC_CORES = ['fdbd0000.rkvenc-core', 'fdbe0000.rkvenc-core'] as const;
export const RKVDEC_CORES = ['fdc38100.rkvdec-core', 'fdc48100.rkvdec-core'] as const;

/** A handful of believable RK3588 boot lines, with their own timestamps. */
export function bootLines(): KernelText[] {
  const at = (seconds: number, text: string, level: KernelLevel = 'info'): KernelText => ({
    text,
    level,
    usec: Math.round(seconds * 1_000_000),
  });
  return [
    at(0, 'Booting Linux on physical CPU 0x0000000000 [0x412fd050]'),
    at(
      0,
      `Linux version ${KERNEL_RELEASE} (linaro@r58-build) (aarch64-linux-gnu-gcc (GNU Toolchain for the A-profile ` +
        'Architecture 10.3-2021.07 (arm-10.29)) 10.3.1 20210621, GNU ld (GNU Toolchain for the A-profile ' +
        'Architecture 10.3-2021.07 (arm-10.29)) 2.36.1.20210621) #1 SMP Tue Nov 18 10:12:44 CET 2025',
      'notice',
    ),
    at(0, 'Machine model: Rockchip RK3588 R58 Board'),
    at(
      0,
      'Kernel command line: storagemedia=emmc androidboot.storagemedia=emmc androidboot.mode=normal ' +
        'root=PARTLABEL=rootfs rootfstype=ext4 rw rootwait earlycon=uart8250,mmio32,0xfeb50000 console=ttyFIQ0 ' +
        'irqchip.gicv3_pseudo_nmi=0 rcupdate.rcu_expedited=1 rcu_nocbs=all',
      'notice',
    ),
    at(0.000012, 'Memory: 15680192K/16252928K available (17984K kernel code, 3476K rwdata, 6352K rodata)'),
    at(0.04156, 'smp: Brought up 1 node, 8 CPUs'),
    at(0.041577, 'CPU features: detected: Privileged Access Never'),
    at(1.874411, 'mpp_service mpp-srv: ' + MPP_VERSION),
    at(1.874425, 'mpp_service mpp-srv: probe start'),
    at(1.876102, `mpp_rkvdec2 ${RKVDEC_CORES[0]}: rkvdec-core, probing start`),
    at(1.876893, `mpp_rkvdec2 ${RKVDEC_CORES[0]}: probing finish`),
    at(1.877534, `mpp_rkvdec2 ${RKVDEC_CORES[1]}: rkvdec-core, probing start`),
    at(1.878201, `mpp_rkvdec2 ${RKVDEC_CORES[1]}: probing finish`),
    at(1.879315, `mpp_rkvenc2 ${RKVENC_CORES[0]}: probing start`),
    at(1.880027, `mpp_rkvenc2 ${RKVENC_CORES[0]}: probing finish`),
    at(1.880712, `mpp_rkvenc2 ${RKVENC_CORES[1]}: probing start`),
    at(1.881388, `mpp_rkvenc2 ${RKVENC_CORES[1]}: probing finish`),
    at(1.881942, 'mpp_service mpp-srv: probe success'),
    at(
      2.318774,
      'rk_hdmirx fdee0000.hdmirx-controller: hdmirx_probe: cpu_aff:0, Bound_cpu:2, wdt_cfg_bound_cpu:3',
    ),
    at(2.322519, 'rk_hdmirx fdee0000.hdmirx-controller: rk_hdmirx_probe driver probe ok!'),
    at(2.402311, 'rkcif-mipi-lvds2: Video device registered as video22'),
    at(4.871066, 'EXT4-fs (mmcblk0p6): mounted filesystem with ordered data mode. Opts: (null)'),
    at(7.925533, 'r8125 0004:41:00.0 enP4p65s0: Link is Up - 1Gbps/Full - flow control rx/tx'),
  ];
}

/** The common prefix of a register dump, seeded by the pid so two Oopses differ. */
function hex16(value: bigint): string {
  return value.toString(16).padStart(16, '0');
}

export interface OopsInput {
  /** `[#N]`, counting Oopses since boot. */
  count: number;
  pid: number;
  comm: string;
  cpu: number;
  /** Hex id for `---[ end trace … ]---`. */
  traceId: string;
}

/** arm64 Oops for the rkvenc NULL dereference the Dec 19 panic config triggered (seed 000). */
export function oopsLines(input: OopsInput): KernelText[] {
  const base = 0xffffffc0093a0000n + BigInt(input.pid % 4096) * 0x40n;
  const lines: Array<[KernelLevel, string]> = [
    ['alert', 'Unable to handle kernel NULL pointer dereference at virtual address 0000000000000048'],
    ['alert', 'Mem abort info:'],
    ['alert', '  ESR = 0x0000000096000005'],
    ['alert', '  EC = 0x25: DABT (current EL), IL = 32 bits'],
    ['alert', '  SET = 0, FnV = 0'],
    ['alert', '  EA = 0, S1PTW = 0'],
    ['alert', '  FSC = 0x05: level 1 translation fault'],
    ['alert', 'Data abort info:'],
    ['alert', '  ISV = 0, ISS = 0x00000005'],
    ['alert', '  CM = 0, WnR = 0'],
    ['alert', 'user pgtable: 4k pages, 39-bit VAs, pgdp=000000010f5e2000'],
    ['alert', '[0000000000000048] pgd=0000000000000000, p4d=0000000000000000, pud=0000000000000000'],
    ['emerg', `Internal error: Oops: 0000000096000005 [#${input.count}] SMP`],
    ['warning', 'Modules linked in: bcmdhd dhd_static_buf r8125 rk_hdmirx'],
    [
      'warning',
      `CPU: ${input.cpu} PID: ${input.pid} Comm: ${input.comm.slice(0, 15)} Not tainted ${KERNEL_RELEASE} #1`,
    ],
    ['warning', `Hardware name: ${HARDWARE_NAME}`],
    ['warning', 'pstate: 60400009 (nZCv daif +PAN -UAO -TCO BTYPE=--)'],
    ['warning', 'pc : rkvenc2_set_rc_cfg+0x1c8/0x4b0'],
    ['warning', 'lr : rkvenc_alloc_task+0x264/0x4e8'],
    ['warning', `sp : ffffffc0${(0x1e6b3b90 + (input.pid % 256) * 0x10).toString(16)}`],
    ['warning', `x29: ${hex16(base + 0x3b90n)} x28: ffffff8104a6c080 x27: 0000000000000000`],
    ['warning', 'x26: 0000000000000000 x25: ffffff81075d7000 x24: 00000000007a1200'],
    ['warning', 'x23: 0000000000f42400 x22: 0000000000000000 x21: ffffff8101f3a880'],
    ['warning', 'x20: ffffff8106b1e000 x19: 0000000000000000 x18: 0000000000000000'],
    ['warning', 'Call trace:'],
    ['warning', ' rkvenc2_set_rc_cfg+0x1c8/0x4b0'],
    ['warning', ' rkvenc_alloc_task+0x264/0x4e8'],
    ['warning', ' mpp_process_task_default+0x74/0x1d0'],
    ['warning', ' mpp_process_task+0x4c/0x7c'],
    ['warning', ' mpp_collect_msgs+0x3d8/0x6d0'],
    ['warning', ' mpp_dev_ioctl+0x10c/0x220'],
    ['warning', ' __arm64_sys_ioctl+0xac/0xf0'],
    ['warning', ' invoke_syscall+0x48/0x114'],
    ['warning', ' el0_svc_common.constprop.0+0x44/0xec'],
    ['warning', ' do_el0_svc+0x24/0x90'],
    ['warning', ' el0_svc+0x28/0x80'],
    ['warning', ' el0t_64_sync_handler+0xb0/0xb4'],
    ['warning', ' el0t_64_sync+0x1a0/0x1a4'],
    ['emerg', 'Code: f9402a61 b9401a62 7100045f 54000160 (b9404a63) '],
    ['warning', `---[ end trace ${input.traceId} ]---`],
  ];
  return lines.map(([level, text]) => ({ level, text }));
}

export interface RefusalInput {
  kind: 'enc' | 'dec';
  pid: number;
  comm: string;
  cpu: number;
  sessions: number;
  jiffies: number;
}

/** Over the practical session limit (seed 002): the allocation fails and a CPU stalls in the driver. */
export function tooManySessionsLines(input: RefusalInput): KernelText[] {
  const device = input.kind === 'enc' ? 'rkvenc' : 'rkvdec';
  const what = input.kind === 'enc' ? 'encoder' : 'decoder';
  const ticks = 5250 + (input.pid % 97);
  return [
    { level: 'err', text: 'mpp_service: error: too many sessions' },
    { level: 'err', text: `${device}: failed to allocate ${what} instance` },
    { level: 'err', text: 'rcu: INFO: rcu_preempt self-detected stall on CPU' },
    {
      level: 'err',
      text:
        `rcu: \t${input.cpu}-....: (${ticks} ticks this GP) idle=7d2/1/0x4000000000000002 ` +
        `softirq=${18000 + input.sessions * 311}/${18000 + input.sessions * 311} fqs=${Math.floor(ticks / 2)}`,
    },
    { level: 'err', text: `\t(t=${ticks + 1} jiffies g=${input.jiffies} q=${900 + input.sessions * 37})` },
    { level: 'info', text: `Task dump for CPU ${input.cpu}:` },
    {
      level: 'info',
      text: `task:${input.comm.slice(0, 15).padEnd(15, ' ')} state:R  running task     stack:    0 pid:${String(input.pid).padStart(5, ' ')} ppid:     1 flags:0x0000000a`,
    },
    { level: 'warning', text: 'Call trace:' },
    { level: 'warning', text: ' mpp_session_attach_workqueue+0x88/0x1c0' },
    { level: 'warning', text: ' mpp_dev_ioctl+0x10c/0x220' },
    { level: 'warning', text: ' __arm64_sys_ioctl+0xac/0xf0' },
  ];
}
