/**
 * The recorder unit on each device: its systemd state, start/stop/restart through `sudo -n systemctl`, and its
 * journal. Stopping or restarting while recordings run needs the producer's confirmation, and then the recordings
 * are ended through the recorder API first, so each MP4 gets its index written before systemd signals the unit.
 */
import path from 'node:path';
import {
  ContractError,
  type JournalEntry,
  type RecorderControlResult,
  type RecorderState,
} from '../../contract/index.js';
import type { R58Profile } from '../device/profile.js';
import { argv, sh, sudo, unitName } from '../device/quote.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';
import { parseRecordStatus, RecorderApi, type ActiveRecordingFile } from './recorder-api.js';
import { curl, describeReply, parseCurl, parseJson, type HttpReply } from '../device/http.js';
import { parseSections, section } from '../device/batch.js';
import { UnitJournal } from './unit-journal.js';

export interface RecorderServiceOptions {
  connections: ConnectionManager;
  profileOf: (deviceId: string) => R58Profile;
  deviceName: (deviceId: string) => string;
  onState: (deviceId: string, state: RecorderState) => void;
  onJournal: (deviceId: string, entries: JournalEntry[]) => void;
  /** How long to wait for the unit to settle after an action. */
  settleTimeoutMs?: number;
  journalRetryMs?: number;
}

// ---- parsers ------------------------------------------------------------------------------------------------------

/** `systemctl show` output: one block of Key=Value lines per unit, blocks separated by a blank line. */
export function parseSystemctlShow(text: string): Record<string, string>[] {
  const blocks: Record<string, string>[] = [];
  let current: Record<string, string> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') {
      current = undefined;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    if (!current) {
      current = {};
      blocks.push(current);
    }
    current[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return blocks;
}

const TIMESTAMP = /^(?:[A-Za-z]{3} )?(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)? ?(\S+)?$/;

/**
 * A systemd timestamp (`Sat 2026-11-21 12:07:01 UTC`) as ISO. systemd prints the device's local zone by its
 * abbreviation, which is ambiguous, so the device's own offset (`date +%z`) is used for anything but UTC.
 */
export function parseSystemdTimestamp(value: string | undefined, deviceOffset?: string): string | null {
  const text = value?.trim() ?? '';
  if (text === '' || text === 'n/a') return null;
  const m = TIMESTAMP.exec(text);
  if (!m) return null;
  const zone = m[4] ?? '';
  let offset: string | undefined;
  if (zone === '' || zone === 'UTC' || zone === 'GMT' || zone === 'Z') offset = '+00:00';
  else if (/^[+-]\d{4}$/.test(zone)) offset = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  else if (deviceOffset && /^[+-]\d{4}$/.test(deviceOffset.trim()))
    offset = `${deviceOffset.trim().slice(0, 3)}:${deviceOffset.trim().slice(3)}`;
  if (offset === undefined) return null;
  const date = new Date(`${m[1]}T${m[2]}${m[3] ?? ''}${offset}`);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/**
 * The unit's state from `systemctl show` (LoadState, ActiveState, SubState, MainPID, NRestarts, timestamps).
 * `recordings` is what the recorder API said, or why it said nothing: a stopped unit records nothing, but a running
 * one whose API did not answer may well be recording, which the state says rather than "none".
 */
export function recorderStateFrom(
  unit: string,
  props: Record<string, string>,
  deviceOffset: string | undefined,
  recordings: { camera: string; file: string }[] | { problem: string },
): RecorderState {
  const active = props.ActiveState ?? 'unknown';
  const pid = Number(props.MainPID);
  const restarts = Number(props.NRestarts);
  const entered =
    active === 'inactive' || active === 'failed' ? props.InactiveEnterTimestamp : props.ActiveEnterTimestamp;
  const stopped = active === 'inactive' || active === 'failed';
  return {
    unit,
    activeState: active,
    subState: props.SubState ?? 'unknown',
    since: parseSystemdTimestamp(entered, deviceOffset),
    mainPid: Number.isInteger(pid) && pid > 0 ? pid : null,
    restarts: Number.isInteger(restarts) && restarts >= 0 ? restarts : 0,
    recordings: Array.isArray(recordings) ? recordings : [],
    ...(!Array.isArray(recordings) && !stopped ? { recordingsProblem: recordings.problem } : {}),
  };
}

/** What GET /record/status answered: the recordings, or why they are not known. */
export function recordingsFrom(reply: HttpReply, port: number): ActiveRecordingFile[] | { problem: string } {
  if (reply.status === null)
    return {
      problem: `the recorder API (127.0.0.1:${port} on the device) did not answer: ${describeReply(reply)}`,
    };
  const parsed = reply.status === 200 ? parseRecordStatus(parseJson(reply.body)) : undefined;
  return (
    parsed ?? {
      problem: `the recorder API answered GET /record/status with ${describeReply(reply)}, which Tally does not understand`,
    }
  );
}

/** The question before ending recordings: each file by name, then what happens to them (`then(n)`). */
export function endingRecordingsMessage(
  doing: string,
  recordings: readonly { camera: string; file: string }[],
  then: (n: number) => string,
): string {
  const n = recordings.length;
  const list = recordings.map((r) => `${path.posix.basename(r.file)} (${r.camera})`).join(', ');
  return `${doing} ends ${n === 1 ? 'a recording' : `${n} recordings`}: ${list}. ${then(n)}`;
}

/** What went wrong with `sudo -n …`, or undefined when sudo itself was not the problem. */
export function sudoProblem(stderr: string, user: string): string | undefined {
  if (/password is required|terminal is required|askpass/i.test(stderr))
    return `sudo asks ${user} for a password, and Tally never types one`;
  if (/not in the sudoers|not allowed to execute|may not run sudo/i.test(stderr))
    return `${user} may not run this with sudo`;
  if (/sudo: .*command not found|sudo: not found/i.test(stderr)) return 'sudo is not installed';
  return undefined;
}

// ---- the service --------------------------------------------------------------------------------------------------

const SHOW_PROPS =
  'LoadState,ActiveState,SubState,MainPID,NRestarts,ActiveEnterTimestamp,InactiveEnterTimestamp';

export class RecorderService {
  private readonly journals = new Map<string, UnitJournal>();

  constructor(private readonly opts: RecorderServiceOptions) {}

  private unit(deviceId: string): string {
    return unitName(this.opts.profileOf(deviceId).units.recorder);
  }

  async status(deviceId: string): Promise<RecorderState> {
    const profile = this.opts.profileOf(deviceId);
    const unit = this.unit(deviceId);
    const cmd = sh`${section('show', sh`systemctl show -p ${SHOW_PROPS} ${unit}`)}; ${section('tz', sh`date +%z`)}; ${section(
      'rec',
      curl('127.0.0.1', profile.recorderApi.port, '/record/status'),
    )}`;
    const result = await this.opts.connections.exec(deviceId, cmd, { timeoutMs: 20_000 });
    const parts = parseSections(result.stdout);
    const show = parts.get('show');
    const props = parseSystemctlShow(show?.text ?? '')[0];
    if (!props || show?.code !== 0)
      throw new ContractError(
        'device_error',
        `systemctl show ${unit} failed on ${this.opts.deviceName(deviceId)}: ${show?.text.trim() || 'no output'}.`,
      );
    if (props.LoadState === 'not-found')
      throw new ContractError(
        'not_found',
        `The unit ${unit} is not installed on ${this.opts.deviceName(deviceId)}. ` +
          `Install the recorder, or use a device profile that names this box's recorder unit.`,
      );
    const recordings = recordingsFrom(parseCurl(parts.get('rec')), profile.recorderApi.port);
    const state = recorderStateFrom(unit, props, parts.get('tz')?.text.trim(), recordings);
    this.opts.onState(deviceId, state);
    return state;
  }

  async control(
    deviceId: string,
    action: 'start' | 'stop' | 'restart',
    confirmed: boolean,
  ): Promise<RecorderControlResult> {
    const profile = this.opts.profileOf(deviceId);
    const unit = this.unit(deviceId);
    const name = this.opts.deviceName(deviceId);
    if (action !== 'start') {
      const before = await this.status(deviceId);
      const doing = `${action === 'stop' ? 'Stopping' : 'Restarting'} ${unit} on ${name}`;
      // Not knowing is not "nothing": a running recorder whose API is silent may be recording.
      if (before.recordingsProblem !== undefined && !confirmed)
        return {
          kind: 'confirm',
          message:
            `Tally cannot tell whether ${unit} on ${name} is recording: ${before.recordingsProblem}. ` +
            `${doing} ends any recording it is making, and Tally cannot finalise those files first.`,
          recordings: [],
        };
      if (before.recordings.length > 0) {
        if (!confirmed)
          return {
            kind: 'confirm',
            message: endingRecordingsMessage(
              doing,
              before.recordings,
              (n) => `Tally stops ${n === 1 ? 'it' : 'them'} first, so each file is finalised and playable.`,
            ),
            recordings: before.recordings,
          };
        const api = new RecorderApi(this.opts.connections, deviceId, profile);
        try {
          await api.stopRecording(before.recordings.map((r) => r.camera));
        } catch (err) {
          throw new ContractError(
            'device_error',
            `${unit} was left running on ${name}: its recordings could not be stopped cleanly first ` +
              `(${(err as Error).message}) Try again, or stop the recordings on the Recordings tab.`,
          );
        }
      }
    }
    const result = await this.opts.connections.exec(deviceId, sudo(argv('systemctl', action, unit)), {
      // systemctl waits for the job; a stop can take the unit's whole TimeoutStopSec (90 s by default).
      timeoutMs: 120_000,
    });
    if (result.code !== 0) {
      const user = profile.login.user;
      const problem = sudoProblem(result.stderr, user);
      if (problem)
        throw new ContractError(
          'refused',
          `Tally cannot ${action} ${unit} on ${name}: ${problem}. Allow ${user} passwordless sudo for systemctl ` +
            `(as on the R58 image: "${user} ALL=(ALL:ALL) NOPASSWD: ALL" or a rule for /usr/bin/systemctl), ` +
            `or run "sudo systemctl ${action} ${unit}" in a terminal.`,
        );
      const why =
        result.stderr.trim().split('\n').slice(0, 3).join(' ') || `exit ${result.code ?? result.signal}`;
      throw new ContractError(
        'device_error',
        `systemctl ${action} ${unit} failed on ${name}: ${why.replace(/\.?$/, '.')} Its journal on the Recorder tab shows why.`,
      );
    }
    await this.settle(deviceId, unit, action);
    return { kind: 'done', state: await this.status(deviceId) };
  }

  /** Poll `systemctl is-active` until the unit reaches where the action leads (or gave up: failed), bounded. */
  private async settle(deviceId: string, unit: string, action: 'start' | 'stop' | 'restart'): Promise<void> {
    const want = action === 'stop' ? ['inactive', 'failed'] : ['active', 'failed'];
    const deadline = Date.now() + (this.opts.settleTimeoutMs ?? 20_000);
    for (;;) {
      const result = await this.opts.connections.exec(deviceId, sh`systemctl is-active ${unit}`, {
        timeoutMs: 10_000,
      });
      if (want.includes(result.stdout.trim()) || Date.now() >= deadline) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  private journalFor(deviceId: string): UnitJournal {
    let journal = this.journals.get(deviceId);
    if (!journal) {
      journal = new UnitJournal({
        connections: this.opts.connections,
        deviceId,
        unit: this.unit(deviceId),
        deviceName: () => this.opts.deviceName(deviceId),
        onEntries: (entries) => this.opts.onJournal(deviceId, entries),
        ...(this.opts.journalRetryMs !== undefined ? { retryMs: this.opts.journalRetryMs } : {}),
      });
      this.journals.set(deviceId, journal);
    }
    return journal;
  }

  /** Follow the unit's journal: call on every connect; after a reconnect it resumes from its cursor. */
  startJournal(deviceId: string): void {
    this.journalFor(deviceId).start();
  }

  /** The link is down: stop following, keep the entries and the cursor. */
  pauseJournal(deviceId: string): void {
    this.journals.get(deviceId)?.pause();
  }

  /** The last entries kept (up to 500). */
  journal(deviceId: string): JournalEntry[] {
    return this.journals.get(deviceId)?.entries() ?? [];
  }

  /** Forget a device (removed). */
  forget(deviceId: string): void {
    this.journals.get(deviceId)?.close();
    this.journals.delete(deviceId);
  }

  close(): void {
    for (const journal of this.journals.values()) journal.close();
    this.journals.clear();
  }
}
