/**
 * One device at a glance, from what the renderer already holds: is it recording (since when, which cameras), is the
 * link alive, how loaded and hot is it, what is the worst open alarm, and one health colour that sums it all up.
 * Pure: the same answer for the sidebar card, the device header, the Overview and every preview tile.
 *
 * While the console gets a lost link back by itself, the last known readings and REC stay, marked stale with
 * their age ("last seen 14 s ago — the box was recording 4 cameras"); a deliberate disconnect shows none of them.
 */
import type {
  Alarm,
  AlarmKind,
  DeviceStatus,
  MonitorLimits,
  RecorderState,
} from '../../../src-main/contract/index.js';
import type { LoadReading } from './load.js';

/** Red, amber, green, grey. */
export type Health = 'alarm' | 'warning' | 'ok' | 'offline';
export type Tone = 'ok' | 'warn' | 'bad' | 'idle' | 'busy' | 'ask';

export const HEALTH_WORD: Record<Health, string> = {
  alarm: 'Alarm',
  warning: 'Warning',
  ok: 'OK',
  offline: 'Offline',
};

/** The last monitor reading: what the sampler said, and when (console clock, ms). */
export interface ReadingInput {
  at: number;
  vpuSessions: number | null;
  cpuPercent: number | null;
  temperatureC: number | null;
}

export interface GlanceInput {
  name: string;
  status: DeviceStatus;
  /** The recorder state last read, and when (ms); undefined when never read. */
  recorder: { state: RecorderState; at: number } | undefined;
  reading: ReadingInput | undefined;
  limits: MonitorLimits | undefined;
  /** The kind's own load figure (a transcoder's GPU, a VMS host's cameras); absent on an R58 (its VPU says it). */
  load?: LoadReading | null;
  /** The device's open alarms (any order). */
  alarms: readonly Alarm[];
  /** Short words per alarm kind ("Oops", "VPU at limit"). */
  alarmShort: Readonly<Record<AlarmKind, string>>;
  now: number;
}

export interface Segment {
  /** Short enough for a sidebar card. */
  text: string;
  /** The whole sentence, for a tooltip and screen readers. */
  label: string;
  tone: Tone;
}

export interface RecGlance extends Segment {
  cameras: string[];
  /** When the earliest running recording started (ms), when the recorder says. */
  startedAt: number | null;
}

export interface LinkGlance extends Segment {
  /** Fewer words, for a preview tile. */
  short: string;
  /** The reconnect attempt under way or next, while the console is getting the link by itself. */
  attempt?: number;
  kind: 'live' | 'slow' | 'lost' | 'retrying' | 'connecting' | 'trust' | 'auth' | 'mismatch' | 'off';
}

export interface AlarmGlance extends Segment {
  alarm: Alarm;
  /** Open alarms beyond this one. */
  more: number;
}

export interface Glance {
  health: Health;
  /** "Health: alarm — Link lost while recording 4 cameras": the colour in words. */
  healthLabel: string;
  /** Why it is not green, worst first (empty when it is). */
  reasons: string[];
  link: LinkGlance;
  rec: RecGlance | null;
  vpu: Segment | null;
  /** The kind's own load (GPU %, cameras recording), where the R58 shows VPU sessions. */
  load: Segment | null;
  cpu: Segment | null;
  temperature: Segment | null;
  alarm: AlarmGlance | null;
  /** Set when REC and the readings are the last known, not now. */
  lastSeen: { at: number; text: string } | null;
}

/** A reading older than this is no longer "now" (the sampler says every second). */
export const READING_FRESH_MS = 5000;
/** A load reading older than this is no longer "now" (health and segments are read every couple of seconds). */
export const LOAD_FRESH_MS = 10_000;
/**
 * CPU share of the whole box (all cores = 100 %) from which the strip warns until the device's limits are known
 * (then `MonitorLimits.cpuWarnPercent` decides): the r58 profile's practical CPU limit, where software encoders
 * start to drop frames (seed 000).
 */
export const CPU_WARN_PERCENT = 85;

/** `0:07`, `12:34`, `1:02:03`. */
export function clockDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** `14 s`, `3 min 05 s`, `2 h 04 min`. */
export function spokenDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  if (total < 60) return `${total} s`;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  return `${m} min ${String(total % 60).padStart(2, '0')} s`;
}

function cameraCount(n: number): string {
  return n === 1 ? '1 camera' : `${n} cameras`;
}

/** The console is getting the link back by itself (after a loss, or retrying a first connection). */
function reconnecting(status: DeviceStatus): boolean {
  return status.linkLost !== undefined || status.retry !== undefined;
}

function linkOf(status: DeviceStatus, recording: boolean, now: number): LinkGlance {
  const lost = status.linkLost;
  if (lost) {
    const forText = spokenDuration(now - lost.since);
    return {
      kind: 'lost',
      text: `Link lost ${forText} · reconnecting (attempt ${lost.attempt})`,
      short: `Link lost ${forText}`,
      attempt: lost.attempt,
      label: `The link is lost for ${forText}; Tally is reconnecting by itself (attempt ${lost.attempt}).`,
      tone: recording ? 'bad' : 'warn',
    };
  }
  const link = (kind: LinkGlance['kind'], text: string, tone: Tone, label = status.detail): LinkGlance => ({
    kind,
    text,
    short: text,
    label,
    tone,
  });
  switch (status.state) {
    case 'connected':
      return link('live', 'Connected', 'ok', 'The link is live.');
    case 'degraded':
      return link(
        'slow',
        status.rttMs !== undefined ? `Slow link ${Math.round(status.rttMs)} ms` : 'Slow link',
        'warn',
      );
    case 'connecting':
      return link('connecting', 'Connecting…', 'busy');
    case 'hostkey_unknown':
      return link('trust', 'Needs trust', 'ask');
    case 'hostkey_mismatch':
      return link('mismatch', 'Host key mismatch', 'bad');
    case 'auth_failed':
      return link('auth', 'Auth failed', 'bad');
    case 'unreachable':
    case 'disconnected': {
      const word = status.state === 'unreachable' ? 'Unreachable' : 'Disconnected';
      if (status.retry)
        return {
          ...link('retrying', `${word} · retrying (attempt ${status.retry.attempt})`, 'warn'),
          attempt: status.retry.attempt,
        };
      return link('off', word, status.state === 'unreachable' ? 'bad' : 'idle');
    }
  }
}

function recOf(state: RecorderState, until: number, stale: boolean): RecGlance | null {
  const cameras = state.recordings.map((r) => r.camera);
  if (cameras.length === 0) return null;
  const starts = state.recordings
    .map((r) => (r.startedAt ? Date.parse(r.startedAt) : NaN))
    .filter((t) => Number.isFinite(t));
  const startedAt = starts.length > 0 ? Math.min(...starts) : null;
  const time = startedAt !== null ? ` ${clockDuration(until - startedAt)}` : '';
  const spoken = startedAt !== null ? ` for ${spokenDuration(until - startedAt)}` : '';
  return {
    cameras,
    startedAt,
    text: `REC${time} · ${cameras.length === 1 ? cameras[0] : `${cameras.length} cams`}`,
    label: stale
      ? `Was recording ${cameraCount(cameras.length)} (${cameras.join(', ')})${spoken} when last seen.`
      : `Recording ${cameraCount(cameras.length)} (${cameras.join(', ')})${spoken}.`,
    tone: stale ? 'idle' : 'bad',
  };
}

function worstAlarm(alarms: readonly Alarm[]): Alarm | undefined {
  let worst: Alarm | undefined;
  for (const a of alarms) {
    if (a.acknowledged !== null) continue;
    if (
      !worst ||
      (a.severity === 'critical' && worst.severity !== 'critical') ||
      (a.severity === worst.severity && a.lastAt > worst.lastAt)
    )
      worst = a;
  }
  return worst;
}

export function computeGlance(input: GlanceInput): Glance {
  const { status, now } = input;
  const live = status.state === 'connected' || status.state === 'degraded';
  const keepLastKnown = live || reconnecting(status);
  const lastSeenAt = Math.max(status.linkLost?.since ?? 0, input.reading?.at ?? 0);
  const recStale = !live;
  const recorder = keepLastKnown ? input.recorder : undefined;
  const rec = recorder ? recOf(recorder.state, recStale ? lastSeenAt || recorder.at : now, recStale) : null;
  const link = linkOf(status, rec !== null, now);

  const reasons: { level: 'alarm' | 'warning'; text: string }[] = [];
  // While the link is lost the link segment says so: its alarm is not named a second time.
  const open = input.alarms.filter(
    (a) => a.acknowledged === null && !(a.kind === 'link_lost' && link.kind === 'lost'),
  );
  const worst = worstAlarm(open);
  const alarm: AlarmGlance | null = worst
    ? {
        alarm: worst,
        more: open.length - 1,
        text: `${input.alarmShort[worst.kind]}${open.length > 1 ? ` +${open.length - 1}` : ''}`,
        label: `Open alarm: ${worst.title}${open.length > 1 ? ` and ${open.length - 1} more` : ''}.`,
        tone: worst.severity === 'critical' ? 'bad' : 'warn',
      }
    : null;
  for (const a of open)
    if (a.kind !== 'link_lost')
      reasons.push({ level: a.severity === 'critical' ? 'alarm' : 'warning', text: a.title });

  if (link.kind === 'lost')
    reasons.unshift({
      level: rec ? 'alarm' : 'warning',
      text: rec ? `Link lost while recording ${cameraCount(rec.cameras.length)}` : 'Link lost',
    });
  else if (link.kind === 'mismatch') reasons.push({ level: 'alarm', text: 'The host key has changed' });
  else if (link.kind === 'auth') reasons.push({ level: 'warning', text: 'The device refused the login' });
  else if (link.kind === 'trust') reasons.push({ level: 'warning', text: 'The host key needs checking' });
  else if (link.kind === 'retrying') reasons.push({ level: 'warning', text: 'The device does not answer' });
  else if (link.kind === 'slow') reasons.push({ level: 'warning', text: 'The link is slow' });

  const reading = keepLastKnown ? input.reading : undefined;
  const readingStale = !live || (reading !== undefined && now - reading.at > READING_FRESH_MS);
  const limits = input.limits;
  const ageNote = reading && readingStale ? ` (${spokenDuration(now - reading.at)} ago)` : '';

  let vpu: Segment | null = null;
  if (reading?.vpuSessions != null) {
    const n = reading.vpuSessions;
    let tone: Tone = 'ok';
    const practical = limits?.vpuPractical ?? null;
    const safe = limits?.vpuSafe ?? null;
    if (practical !== null && n >= practical) {
      tone = 'bad';
      if (!readingStale) reasons.push({ level: 'alarm', text: `VPU at its practical limit (${n})` });
    } else if (safe !== null && n >= safe) {
      tone = 'warn';
      if (!readingStale) reasons.push({ level: 'warning', text: `VPU above its safe limit (${n})` });
    }
    vpu = {
      text: `VPU ${n}${practical !== null ? `/${practical}` : ''}`,
      label: `VPU sessions ${n}${practical !== null ? ` of practical limit ${practical} (safe ${safe})` : ''}${ageNote}.`,
      tone: readingStale ? 'idle' : tone,
    };
  }
  let load: Segment | null = null;
  const loadReading = keepLastKnown ? input.load : null;
  if (loadReading) {
    const stale = !live || now - loadReading.at > LOAD_FRESH_MS;
    const age = stale ? ` (${spokenDuration(now - loadReading.at)} ago)` : '';
    if (loadReading.reason && !stale)
      reasons.push({ level: loadReading.level === 'bad' ? 'alarm' : 'warning', text: loadReading.reason });
    load = {
      text: loadReading.text,
      label: `${loadReading.label}${age}.`,
      tone: stale ? 'idle' : loadReading.level,
    };
  }
  let cpu: Segment | null = null;
  if (reading?.cpuPercent != null) {
    const p = Math.round(reading.cpuPercent);
    // Known limits decide (null: this kind budgets its CPU otherwise, e.g. per camera); until then the R58's.
    const warnAt = limits ? limits.cpuWarnPercent : CPU_WARN_PERCENT;
    const high = warnAt !== null && p >= warnAt;
    if (high && !readingStale) reasons.push({ level: 'warning', text: `CPU at ${p} %` });
    cpu = {
      text: `CPU ${p} %`,
      label: `CPU ${p} % of the whole box${warnAt !== null ? ` (warning at ${warnAt} %)` : ''}${ageNote}.`,
      tone: readingStale ? 'idle' : high ? 'warn' : 'ok',
    };
  }
  let temperature: Segment | null = null;
  if (reading?.temperatureC != null) {
    const c = Math.round(reading.temperatureC);
    let tone: Tone = 'ok';
    if (limits && c >= limits.temperatureCriticalC) {
      tone = 'bad';
      if (!readingStale) reasons.push({ level: 'alarm', text: `SoC at ${c} °C` });
    } else if (limits && c >= limits.temperatureWarnC) {
      tone = 'warn';
      if (!readingStale) reasons.push({ level: 'warning', text: `SoC at ${c} °C` });
    }
    temperature = {
      text: `${c} °C`,
      label: `Hottest zone ${c} °C${limits ? ` (warning at ${limits.temperatureWarnC} °C)` : ''}${ageNote}.`,
      tone: readingStale ? 'idle' : tone,
    };
  }

  const sorted = [
    ...reasons.filter((r) => r.level === 'alarm'),
    ...reasons.filter((r) => r.level === 'warning'),
  ];
  const health: Health =
    sorted[0]?.level === 'alarm' ? 'alarm' : sorted[0] ? 'warning' : live ? 'ok' : 'offline';
  const reasonTexts = [...new Set(sorted.map((r) => r.text))];

  let lastSeen: Glance['lastSeen'] = null;
  if (!live && reconnecting(status) && lastSeenAt > 0) {
    const doing = rec
      ? ` — the box was recording ${cameraCount(rec.cameras.length)}`
      : recorder
        ? ' — the box was not recording'
        : '';
    lastSeen = { at: lastSeenAt, text: `last seen ${spokenDuration(now - lastSeenAt)} ago${doing}` };
  }

  const word = health === 'ok' ? 'good' : health;
  return {
    health,
    healthLabel: `Health: ${word}${reasonTexts[0] ? ` — ${reasonTexts[0]}` : ''}`,
    reasons: reasonTexts,
    link,
    rec,
    vpu,
    load,
    cpu,
    temperature,
    alarm,
    lastSeen,
  };
}
