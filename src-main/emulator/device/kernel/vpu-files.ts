/**
 * The VPU session files, rendered from the model's sessions.
 *
 * - `/sys/kernel/debug/mpp_service/session` (the path seed 002 reads): one block per session. Each block has the
 *   word "session" on exactly one line and nowhere else, and there is no header, so both `grep -c session` and
 *   Python's `text.count("session")` give the session count.
 * - `/proc/mpp_service/sessions-summary` (newer BSP kernels): the real driver's layout (mpp_service.c
 *   `mpp_dump_session` + rkvenc2 `dump_session`): an iova dump, `session: pid=… index=…`, ` device: …`,
 *   ` memory: … MiB`, and for encoders the codec-info table. The word "session" appears several times per session
 *   there, as on a real board; count `^session:` lines.
 * - `/proc/mpp_service/rkvenc-core{0,1}/sessions-info`: the encoder table only. As in the driver, every core's file
 *   lists all encoder sessions.
 */

export type VpuKind = 'enc' | 'dec';
export type VpuDevice = 'rkvenc' | 'rkvdec';
export type VpuPropValue = string | number | boolean;

export interface VpuSession {
  /** Session index, increasing from boot. */
  session: number;
  pid: number;
  element: string;
  kind: VpuKind;
  device: VpuDevice;
  /** The core's device name, e.g. `fdbd0000.rkvenc-core`. */
  core: string;
  label: string;
  props: Record<string, VpuPropValue>;
  openedAtUsec: number;
  wedged: boolean;
}

function codecOf(session: VpuSession): string {
  if (session.element.includes('265')) return 'h265';
  if (session.element.includes('264')) return 'h264';
  return session.kind === 'dec' ? 'auto' : 'h264';
}

/** debugfs `session`: the format the seeds grep. */
export function debugfsSessionText(sessions: readonly VpuSession[]): string {
  return sessions
    .map(
      (s) =>
        `session ${s.session}: pid=${s.pid} ${s.kind}\n` +
        `    device: ${s.device} (${s.core})\n` +
        `    codec: ${codecOf(s)} element: ${s.element}\n`,
    )
    .join('\n');
}

function prop(session: VpuSession, name: string): VpuPropValue | undefined {
  return session.props[name];
}

function pad8(value: string | number): string {
  return String(value).padStart(8, ' ');
}

interface EncInfo {
  width: number;
  height: number;
  fps: number;
  rcMode: string;
  bitrate: number;
  gop: number;
  profile: string;
}

function encInfo(session: VpuSession): EncInfo {
  const num = (value: VpuPropValue | undefined, fallback: number): number => {
    const n = Number(value);
    return Number.isFinite(n) && n > 0 ? n : fallback;
  };
  return {
    width: num(prop(session, 'width'), 1920),
    height: num(prop(session, 'height'), 1080),
    fps: num(prop(session, 'fps'), 30),
    rcMode: String(prop(session, 'rc-mode') ?? 'vbr'),
    bitrate: num(prop(session, 'bps'), 2_000_000),
    gop: num(prop(session, 'gop'), 60),
    profile: String(prop(session, 'profile') ?? (codecOf(session) === 'h265' ? 'main' : 'high')),
  };
}

/** rkvenc2 `dump_session`: a rule, the item names, the item values. */
function rkvencTable(session: VpuSession): string {
  const info = encInfo(session);
  const rule = '-'.repeat(108);
  const header =
    `|${pad8('session')}|${pad8('device')}|` +
    [
      'width',
      'height',
      'format',
      'fps_in',
      'fps_out',
      'rc_mode',
      'bitrate',
      'gop_size',
      'fps_calc',
      'profile',
    ]
      .map((name) => `${pad8(name)}|`)
      .join('');
  const values =
    `|${pad8(session.session)}|${pad8('RKVENC')}|` +
    [
      info.width,
      info.height,
      codecOf(session) === 'h265' ? 'hevc' : 'avc',
      info.fps,
      info.fps,
      info.rcMode,
      info.bitrate,
      info.gop,
      info.fps.toFixed(2),
      info.profile,
    ]
      .map((value) => `${pad8(value)}|`)
      .join('');
  return `${rule}\n${header}\n${values}\n`;
}

function iovaDump(session: VpuSession): { text: string; kib: number } {
  const sizes = session.kind === 'enc' ? [1024, 512, 4096, 4096] : [2048, 8192];
  let next = 0x100000n + BigInt(session.session) * 0x1000000n;
  let total = 0;
  const rows = sizes.map((kib, i) => {
    const start = next;
    const end = start + BigInt(kib) * 1024n - 1n;
    next = end + 1n;
    total += kib;
    const hex = (v: bigint): string => `0x${v.toString(16).padStart(16, '0')}`;
    return `${String(i).padStart(4, ' ')}: ${hex(start)}..${hex(end)} (${String(kib).padStart(10, ' ')} KiB)`;
  });
  return { text: `session iova range dump:\n${rows.join('\n')}\n`, kib: total };
}

/** `/proc/mpp_service/sessions-summary`. */
export function procSessionsSummaryText(sessions: readonly VpuSession[]): string {
  return sessions
    .map((s) => {
      const dump = iovaDump(s);
      const head =
        dump.text +
        `session: pid=${s.pid} index=${s.session}\n` +
        ` device: ${s.core}\n` +
        ` memory: ${Math.floor(dump.kib / 1024)} MiB\n`;
      return s.kind === 'enc' ? head + rkvencTable(s) : head;
    })
    .join('');
}

/** `/proc/mpp_service/rkvenc-coreN/sessions-info`. */
export function procSessionsInfoText(sessions: readonly VpuSession[]): string {
  return sessions
    .filter((s) => s.kind === 'enc')
    .map(rkvencTable)
    .join('');
}

/** The `/proc/mpp_service` files, keyed by their path below that directory. */
export function procFiles(sessions: readonly VpuSession[], mppVersion: string): Record<string, string> {
  const info = procSessionsInfoText(sessions);
  return {
    version: `${mppVersion}\n`,
    'sessions-summary': procSessionsSummaryText(sessions),
    'supports-device':
      '---- SUPPORT DEVICES ----\n' +
      'DEVICE[ 8]:RKVDEC    HW_ID:0x38132800\n' +
      'DEVICE[14]:RKVENC    HW_ID:0x50603313\n',
    'rkvenc-core0/sessions-info': info,
    'rkvenc-core1/sessions-info': info,
  };
}
