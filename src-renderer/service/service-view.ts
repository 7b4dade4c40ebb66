/**
 * The service card in words: a container's or unit's state, since when, restarts, policy and what runs, which of
 * Start / Stop / Restart make sense now, and what the producer is told before stopping something live. Pure.
 */
import type {
  DeviceKind,
  ServiceAction,
  ServiceRunState,
  ServiceState,
  VmsState,
} from '../../src-main/contract/index.js';
import type { Tone } from '../lib/status-strip/glance.js';
import { spokenDuration } from '../lib/status-strip/glance.js';

export const SERVICE_ACTIONS: readonly ServiceAction[] = ['start', 'stop', 'restart'];

export const ACTION_LABEL: Record<ServiceAction, string> = {
  start: 'Start',
  stop: 'Stop',
  restart: 'Restart',
};

const STATE_WORD: Record<ServiceRunState, string> = {
  running: 'Running',
  starting: 'Starting',
  restarting: 'Restarting',
  stopped: 'Stopped',
  exited: 'Exited',
  failed: 'Failed',
  missing: 'Not installed',
  unknown: 'Unknown',
};

export function stateWord(s: ServiceRunState): string {
  return STATE_WORD[s];
}

export function stateTone(s: ServiceRunState): Tone {
  switch (s) {
    case 'running':
      return 'ok';
    case 'starting':
    case 'restarting':
      return 'busy';
    case 'stopped':
    case 'unknown':
      return 'idle';
    case 'exited':
    case 'failed':
    case 'missing':
      return 'bad';
  }
}

/** "for 3 min 05 s" from the ISO time it entered the state; empty when unknown. */
export function sinceText(since: string | null, now: number): string {
  if (!since) return '';
  const t = Date.parse(since);
  if (!Number.isFinite(t)) return '';
  return `for ${spokenDuration(now - t)}`;
}

/** What each kind's manager calls the thing: "container", "unit". */
export function thingWord(state: Pick<ServiceState, 'manager'>): string {
  return state.manager === 'docker' ? 'container' : 'unit';
}

export interface ServiceFact {
  term: string;
  value: string;
  mono?: boolean;
}

export function serviceFacts(state: ServiceState): ServiceFact[] {
  // The name is the card's heading.
  const facts: ServiceFact[] = [
    { term: state.manager === 'docker' ? 'Docker says' : 'systemd says', value: state.detail || '—' },
    { term: 'Restarts', value: state.restarts === null ? 'unknown' : String(state.restarts) },
    { term: 'Restart policy', value: state.restartPolicy ?? 'unknown', mono: state.restartPolicy !== null },
    {
      term: state.manager === 'docker' ? 'Image' : 'Binary',
      value: state.runs ?? 'unknown',
      mono: state.runs !== null,
    },
  ];
  if (state.runsId)
    facts.push({
      term: state.manager === 'docker' ? 'Image id' : 'Checksum',
      value: shortId(state.runsId),
      mono: true,
    });
  if (state.pid !== null) facts.push({ term: 'PID', value: String(state.pid) });
  if (state.exitCode !== null && state.state !== 'running')
    facts.push({ term: 'Exit code', value: String(state.exitCode) });
  return facts;
}

/** `sha256:0123456789ab…` → `0123456789ab`. */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/** Start when it is not running; Stop and Restart when it is (or is trying to be). */
export function actionEnabled(action: ServiceAction, state: ServiceRunState | undefined): boolean {
  if (state === undefined || state === 'missing') return false;
  const up = state === 'running' || state === 'starting' || state === 'restarting';
  if (action === 'start') return !up;
  if (action === 'stop') return up;
  return state !== 'unknown';
}

export interface StopQuestion {
  title: string;
  /** "This stops:" / "This interrupts:", before the list. */
  lead: string;
  confirmLabel: string;
  /** What stops, one line each. */
  stops: string[];
  note: string;
}

/**
 * What is asked before Stop or Restart, naming what ends: the transcodes a transcoder is serving, the cameras a VMS
 * host records and streams.
 */
export function stopQuestion(
  action: Exclude<ServiceAction, 'start'>,
  kind: DeviceKind,
  deviceName: string,
  state: ServiceState,
  extra: { sessions?: number | null; vms?: VmsState | undefined },
): StopQuestion {
  const verb = ACTION_LABEL[action];
  const thing = `${thingWord(state)} ${state.name}`;
  const stops: string[] = [];
  if (kind === 'transcoder') {
    const n = extra.sessions ?? null;
    stops.push(
      n === null
        ? 'Every transcode it is serving (how many is not known).'
        : n === 0
          ? 'No transcode is running now; new requests are refused until it is back.'
          : `${n} transcode${n === 1 ? '' : 's'} running now: their viewers lose the stream.`,
    );
  } else if (kind === 'vms') {
    const cams = extra.vms?.cameras ?? [];
    if (cams.length === 0) stops.push('Every camera it records (none read yet).');
    for (const c of cams)
      stops.push(`${c.camera}: its recording ends mid-segment and its live output goes down.`);
  }
  const back =
    action === 'restart'
      ? `It starts again at once; until it is back, nothing is ${kind === 'vms' ? 'recorded' : 'served'}.`
      : `Nothing is ${kind === 'vms' ? 'recorded' : 'served'} until someone starts it again.`;
  return {
    title: `${verb} the ${thing} on ${deviceName}?`,
    lead: action === 'stop' ? 'This stops:' : 'This interrupts:',
    confirmLabel: `${verb} ${state.name}`,
    stops,
    note: back,
  };
}
