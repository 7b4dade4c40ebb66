/**
 * The service of a transcoder (a Docker container) or a VMS host (a systemd unit): one batched command that reads its
 * state, restarts and what it runs, and the parser that makes a ServiceState of it.
 */
import type { ServiceRunState, ServiceState } from '../../contract/index.js';
import { parseSections, section } from '../device/batch.js';
import {
  controlCommand,
  dockerProblem,
  inspectCommand,
  parseInspect,
  parsePsLines,
  psCommand,
} from '../device/docker.js';
import type { TranscoderProfile, VmsProfile } from '../device/profile.js';
import { argv, remotePath, sh, sudo, unitName, type ShellCommand } from '../device/quote.js';
import { parseShow, showCommand, systemdTime } from '../device/systemd.js';

export type ServiceProfile = TranscoderProfile | VmsProfile;

const UNIT_PROPS = [
  'LoadState',
  'ActiveState',
  'SubState',
  'MainPID',
  'NRestarts',
  'Restart',
  'Result',
  'ExecMainStatus',
  'ActiveEnterTimestamp',
  'InactiveEnterTimestamp',
] as const;

export function serviceName(profile: ServiceProfile): string {
  return profile.kind === 'transcoder' ? profile.service.container : profile.service.unit;
}

export function serviceReadCommand(profile: ServiceProfile): ShellCommand {
  if (profile.kind === 'transcoder')
    return sh`${section('ps', psCommand(profile.service.container))}; ${section('inspect', inspectCommand(profile.service.container))}`;
  return sh`${section('show', showCommand(profile.service.unit, UNIT_PROPS))}; ${section('tz', sh`date +%z`)}; ${section(
    'sum',
    argv('sha256sum', remotePath(profile.binary.path)),
  )}`;
}

const NEVER = /^0001-01-01/;

function dockerState(status: string, restarting: boolean, health: string | undefined): ServiceRunState {
  if (restarting || status === 'restarting') return 'restarting';
  switch (status) {
    case 'running':
      return health === 'starting' ? 'starting' : 'running';
    case 'exited':
      return 'exited';
    case 'dead':
      return 'failed';
    case 'created':
    case 'paused':
    case 'removing':
      return 'stopped';
    default:
      return 'unknown';
  }
}

function fromDocker(deviceId: string, profile: TranscoderProfile, stdout: string, at: number): ServiceState {
  const parts = parseSections(stdout);
  const name = profile.service.container;
  const base: ServiceState = {
    deviceId,
    manager: 'docker',
    name,
    state: 'unknown',
    detail: '',
    since: null,
    restarts: null,
    restartPolicy: null,
    runs: null,
    runsId: null,
    pid: null,
    exitCode: null,
    at,
  };
  const inspect = parts.get('inspect');
  const read = parseInspect(inspect?.text ?? '', inspect?.code ?? null);
  if (!read.ok) {
    if (read.missing)
      return { ...base, state: 'missing', detail: `There is no container named ${name} on the box.` };
    return { ...base, detail: `Docker could not be asked: ${read.problem}.` };
  }
  const c = read.container;
  const row = parsePsLines(parts.get('ps')?.text ?? '').find((r) => r.Names === name);
  const state = dockerState(c.State.Status, c.State.Restarting, c.State.Health?.Status);
  const running = c.State.Running;
  const since = running ? c.State.StartedAt : c.State.FinishedAt;
  const date = since && !NEVER.test(since) ? new Date(since) : null;
  return {
    ...base,
    state,
    detail:
      row?.Status ??
      (c.State.Error ? `${c.State.Status}: ${c.State.Error}` : c.State.Status) +
        (c.State.OOMKilled ? ' (out of memory)' : ''),
    since: date && !Number.isNaN(date.getTime()) ? date.toISOString() : null,
    restarts: c.RestartCount,
    restartPolicy: c.HostConfig?.RestartPolicy.Name || null,
    runs: c.Config.Image,
    runsId: c.Image,
    pid: c.State.Pid > 0 ? c.State.Pid : null,
    exitCode: running ? null : c.State.ExitCode,
  };
}

function unitState(active: string, sub: string): ServiceRunState {
  switch (active) {
    case 'active':
    case 'reloading':
      return 'running';
    case 'activating':
      return sub === 'auto-restart' ? 'restarting' : 'starting';
    case 'deactivating':
    case 'inactive':
      return 'stopped';
    case 'failed':
      return 'failed';
    default:
      return 'unknown';
  }
}

function int(value: string | undefined): number | null {
  const n = Number(value);
  return value !== undefined && value !== '' && Number.isInteger(n) ? n : null;
}

function fromSystemd(deviceId: string, profile: VmsProfile, stdout: string, at: number): ServiceState {
  const parts = parseSections(stdout);
  const name = profile.service.unit;
  const show = parts.get('show');
  const p = parseShow(show?.text ?? '');
  const base: ServiceState = {
    deviceId,
    manager: 'systemd',
    name,
    state: 'unknown',
    detail: '',
    since: null,
    restarts: null,
    restartPolicy: null,
    runs: profile.binary.path,
    runsId: null,
    pid: null,
    exitCode: null,
    at,
  };
  if (!p.ActiveState) {
    const why = (show?.text ?? '').trim().split('\n')[0] || `exit ${show?.code ?? 'unknown'}`;
    return { ...base, detail: `systemctl could not be asked: ${why}.` };
  }
  if (p.LoadState === 'not-found')
    return { ...base, state: 'missing', detail: `There is no unit ${name} on the box.` };
  const active = p.ActiveState;
  const state = unitState(active, p.SubState ?? '');
  const stopped = state === 'stopped' || state === 'failed';
  const sum = parts.get('sum');
  const checksum = sum?.code === 0 ? (/^([0-9a-f]{64})\s/.exec(sum.text.trim())?.[1] ?? null) : null;
  const pid = int(p.MainPID);
  return {
    ...base,
    state,
    detail: `${active} (${p.SubState ?? 'unknown'})${p.Result && p.Result !== 'success' ? `, result ${p.Result}` : ''}`,
    since: systemdTime(stopped ? p.InactiveEnterTimestamp : p.ActiveEnterTimestamp, parts.get('tz')?.text),
    restarts: int(p.NRestarts),
    restartPolicy: p.Restart || null,
    runsId: checksum,
    pid: pid !== null && pid > 0 ? pid : null,
    exitCode: stopped ? int(p.ExecMainStatus) : null,
  };
}

export function serviceStateFrom(
  deviceId: string,
  profile: ServiceProfile,
  stdout: string,
  at: number = Date.now(),
): ServiceState {
  return profile.kind === 'transcoder'
    ? fromDocker(deviceId, profile, stdout, at)
    : fromSystemd(deviceId, profile, stdout, at);
}

/** The command that starts, stops or restarts the service. */
export function controlCommandOf(
  profile: ServiceProfile,
  action: 'start' | 'stop' | 'restart',
): ShellCommand {
  return profile.kind === 'transcoder'
    ? controlCommand(action, profile.service.container)
    : sudo(argv('systemctl', action, unitName(profile.service.unit)));
}

/** Why a control command failed, in words that say what to do. */
export function controlProblem(profile: ServiceProfile, text: string, code: number | null): string {
  const user = profile.login.user;
  if (/password is required|a terminal is required/i.test(text))
    return `sudo asks ${user} for a password: allow ${user} passwordless sudo for ${profile.kind === 'transcoder' ? 'docker' : 'systemctl'}`;
  if (profile.kind === 'transcoder')
    return dockerProblem(text.trim().split('\n').slice(0, 3).join(' '), code);
  return text.trim().split('\n').slice(0, 3).join(' ') || `exit ${code ?? 'unknown'}`;
}
