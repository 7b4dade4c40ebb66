/**
 * What a kernel line is about and how bad it is. The syslog priority sets the floor; the first matching row of
 * the pattern table names the category and may raise the severity. A new pattern is one row.
 *
 * Every expression is either anchored at the start or a plain alternation of literals, and every repeat is
 * bounded, so matching is linear in the line; on top of that only the first HEAD_CHARS characters are looked at.
 */
import type { KernelCategory, Severity } from '../../contract/index.js';

export interface Classification {
  severity: Severity;
  category: KernelCategory;
}

/** [category, severity the line gets at least (null: the priority alone decides), pattern]. */
export type PatternRow = readonly [KernelCategory, Severity | null, RegExp];

/** The part of a line the table looks at: every headline the table knows sits well inside it. */
export const HEAD_CHARS = 512;

/** Drivers that sit behind mpp_service (each open instance is a VPU session). IEP2 is one of them. */
const VPU_DRIVER =
  '(?:mpp[_-][\\w-]{0,24}|mpp|rk_?vcodec|rkv(?:enc|dec)[\\w-]{0,16}|rkjpeg[\\w-]{0,16}|jpeg[de][\\w-]{0,16}|' +
  'vepu[\\w-]{0,16}|vdpu[\\w-]{0,16}|av1d[\\w-]{0,16}|iep[\\w-]{0,16})';

/** Order matters: the first row that matches decides the category. */
export const PATTERNS: readonly PatternRow[] = [
  // Lines that name many drivers at once; they belong to a report, not to the drivers they list.
  ['other', null, /^Modules linked in:/],
  ['other', null, /^Kernel command line:/],

  ['panic', 'critical', /^Kernel panic - not syncing/],
  ['panic', 'critical', /^---\[ end Kernel panic/],

  ['oops', 'critical', /^Internal error: /],
  ['oops', 'critical', /^Unable to handle kernel /],
  ['oops', 'critical', /^kernel BUG at /],
  ['oops', 'critical', /^(?:watchdog: )?BUG: /],
  ['oops', 'critical', /^SError Interrupt on CPU/],
  ['oops', 'warning', /^WARNING: (?:CPU: \d{1,5} PID: \d{1,10} )?at /],
  ['oops', 'warning', /^-{4,40}\[ cut here \]-{4,40}$/],

  ['rcu_stall', 'critical', /^(?:rcu: )?INFO: rcu_\w{1,16} (?:self-)?detected (?:expedited )?stalls?\b/],
  ['rcu_stall', 'critical', /^(?:rcu: )?rcu_\w{1,16} kthread (?:starved|timer wakeup didn't happen)/],

  ['vpu', 'error', /too many sessions/],
  // "failed to allocate" alone is printed by many drivers; it is a VPU fault when it names a coder instance.
  ['vpu', 'error', /failed to allocate (?:en|de)coder/],
  [
    'vpu',
    'error',
    new RegExp(
      `^${VPU_DRIVER}[\\s:.].{0,${HEAD_CHARS}}?\\b(?:error|failed|failure|fail|timeout|timed out|fault|hang)\\b`,
      'i',
    ),
  ],
  ['vpu', null, new RegExp(`^${VPU_DRIVER}[\\s:]`)],
  ['vpu', null, /\b(?:mpp_service|mpp_rkv(?:enc|dec)\w{0,8}|rk_vcodec|rkvenc|rkvdec)\b/],

  ['thermal', 'critical', /critical temperature|thermal shutdown|over-?temperature/i],
  // RT throttling is the scheduler, not the heat.
  ['other', 'warning', /^sched: RT throttling activated/],
  ['thermal', 'warning', /throttl/i],
  ['thermal', null, /thermal|tsadc/i],

  // RGA is the 2D scaler/colour converter: separate from the VPU (no mpp_service session, untouched by the VPU
  // reset), and a fault there breaks the video path, so it counts as video.
  [
    'video',
    null,
    /v4l2|videodev|video device|rkcif|rkisp|hdmirx|hdmi[ _-]?in\b|uvcvideo|\buvc\b|\brga(?:\d|_|\b)/i,
  ],

  ['usb', null, /\busb|xhci|dwc[23]|[eo]hci[_-]|^hub \d/i],

  ['network', 'error', /NETDEV WATCHDOG|transmit queue \d{1,3} timed out/],
  ['network', 'warning', /Link is Down/],
  [
    'network',
    null,
    /\beth\d|r81(?:25|26|68|69)|stmmac|dwmac|rk_gmac|Link is Up|\bwlan\d|brcmf|bcmdhd|nf_conntrack|ADDRCONF|\benP\d/,
  ],

  ['other', 'error', /^Out of memory: Kill|invoked oom-killer:/],
  ['other', 'error', /^INFO: task .{1,64} blocked for more than \d{1,9} seconds/],
  ['other', 'error', /^EXT4-fs error|^Buffer I\/O error|\bI\/O error, dev /],
];

/** Floor by syslog priority: 0-2 critical, 3 error, 4 warning, 5 notice, 6 info, 7 debug. */
const FLOOR: readonly Severity[] = [
  'critical',
  'critical',
  'critical',
  'error',
  'warning',
  'notice',
  'info',
  'debug',
];

const RANK: Readonly<Record<Severity, number>> = {
  critical: 0,
  error: 1,
  warning: 2,
  notice: 3,
  info: 4,
  debug: 5,
};

/** The more severe of the two. */
export function worse(a: Severity, b: Severity): Severity {
  return RANK[a] <= RANK[b] ? a : b;
}

export function severityForPriority(priority: number): Severity {
  // A raw `<N>` can carry a facility in the high bits; anything unreadable is info, the printk default.
  const level = Number.isInteger(priority) && priority >= 0 ? priority & 7 : 6;
  return FLOOR[level] ?? 'info';
}

export function classify(text: string, priority: number): Classification {
  const floor = severityForPriority(priority);
  const head = text.length > HEAD_CHARS ? text.slice(0, HEAD_CHARS) : text;
  for (const [category, raise, pattern] of PATTERNS) {
    if (pattern.test(head)) return { category, severity: raise === null ? floor : worse(floor, raise) };
  }
  return { category: 'other', severity: floor };
}
