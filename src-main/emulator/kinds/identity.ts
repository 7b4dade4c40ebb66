/**
 * Who a box says it is: `uname`, the kernel's boot lines, the DMI product name (`/sys/class/dmi/id/`) and the
 * thermal zones' names. The R58 keeps its Rockchip board (device/kernel/text.ts); the transcoder is seed 003's AMD
 * mini PC (Radeon 780M, gfx1103) and the VMS host an x86 server with an NVIDIA card (seed 004), both on Ubuntu.
 */
import os from 'node:os';
import type { KernelLevel } from '../device/kernel/log.js';
import { bootLines as r58BootLines, KERNEL_RELEASE, type KernelText } from '../device/kernel/text.js';
import type { EmulatorKind } from './kinds.js';

export interface KindIdentity {
  kernelRelease: string;
  kernelVersion: string;
  machine: string;
  /** `uname -p` and `-i`: `unknown` on the board's kernel, the architecture on Ubuntu's. */
  processor: string;
  /** `/sys/class/dmi/id/{sys_vendor,product_name}`; none on the board (it has a device tree instead). */
  dmi?: { vendor: string; product: string };
  /** Thermal zone types with their idle temperature; undefined: the RK3588's (device/thermal.ts). */
  thermalZones?: readonly { type: string; idleC: number }[];
  bootLines(): KernelText[];
}

function at(seconds: number, text: string, level: KernelLevel = 'info'): KernelText {
  return { text, level, usec: Math.round(seconds * 1_000_000) };
}

const TRANSCODER_RELEASE = '6.8.0-49-generic';
const VMS_RELEASE = '5.15.0-126-generic';

function x86BootLines(release: string, version: string, product: string, extra: KernelText[]): KernelText[] {
  return [
    at(0, `Linux version ${release} (buildd@lcy02-amd64-062) (x86_64-linux-gnu-gcc-12) ${version}`, 'notice'),
    at(
      0,
      `Command line: BOOT_IMAGE=/vmlinuz-${release} root=/dev/mapper/ubuntu--vg-ubuntu--lv ro quiet`,
      'notice',
    ),
    at(0, `DMI: ${product}, BIOS 1.07 03/12/2024`),
    at(0.000012, 'Memory: 31981244K/33424532K available (20480K kernel code, 4384K rwdata)'),
    // This machine's core count: /proc/cpuinfo, nproc and the box's /proc/stat are this machine's too.
    at(0.211402, `smp: Brought up 1 node, ${os.cpus().length || 1} CPUs`),
    ...extra,
    at(3.402117, 'EXT4-fs (dm-0): mounted filesystem with ordered data mode. Quota mode: none.'),
    at(6.120044, 'igc 0000:02:00.0 enp2s0: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: RX/TX'),
  ];
}

const IDENTITIES: Record<EmulatorKind, KindIdentity> = {
  r58: {
    kernelRelease: KERNEL_RELEASE,
    kernelVersion: '#1 SMP Tue Nov 18 10:12:44 CET 2025',
    machine: 'aarch64',
    processor: 'unknown',
    bootLines: r58BootLines,
  },
  transcoder: {
    kernelRelease: TRANSCODER_RELEASE,
    kernelVersion: '#49~22.04.1-Ubuntu SMP PREEMPT_DYNAMIC Wed Nov  6 17:42:15 UTC 2',
    machine: 'x86_64',
    processor: 'x86_64',
    dmi: { vendor: 'Micro Computer (HK) Tech Limited', product: 'UM790 Pro' },
    thermalZones: [{ type: 'acpitz', idleC: 41.0 }],
    bootLines: () =>
      x86BootLines(
        TRANSCODER_RELEASE,
        '#49~22.04.1-Ubuntu SMP PREEMPT_DYNAMIC Wed Nov  6 17:42:15 UTC 2',
        'Micro Computer (HK) Tech Limited UM790 Pro/UM790 Pro',
        [
          at(2.310442, '[drm] amdgpu kernel modesetting enabled.'),
          at(2.402871, 'amdgpu 0000:c5:00.0: amdgpu: Fetched VBIOS from VFCT'),
          at(2.931204, '[drm] Initialized amdgpu 3.57.0 20150101 for 0000:c5:00.0 on minor 0'),
        ],
      ),
  },
  vms: {
    kernelRelease: VMS_RELEASE,
    kernelVersion: '#136-Ubuntu SMP Wed Nov 6 10:38:22 UTC 2024',
    machine: 'x86_64',
    processor: 'x86_64',
    dmi: { vendor: 'Dell Inc.', product: 'PowerEdge T150' },
    thermalZones: [
      { type: 'acpitz', idleC: 27.8 },
      { type: 'x86_pkg_temp', idleC: 39.0 },
    ],
    bootLines: () =>
      x86BootLines(
        VMS_RELEASE,
        '#136-Ubuntu SMP Wed Nov 6 10:38:22 UTC 2024',
        'Dell Inc. PowerEdge T150/0C8FKT',
        [
          at(3.118032, 'nvidia: module license taints kernel.'),
          at(3.402551, 'NVRM: loading NVIDIA UNIX x86_64 Kernel Module  535.216.01  Wed Oct 23 2024'),
        ],
      ),
  },
};

export function identityOf(kind: EmulatorKind): KindIdentity {
  return IDENTITIES[kind];
}
