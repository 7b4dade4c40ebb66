/**
 * What is on a device, found with ONE remote command when it connects: model, kernel, the profile's units, which VPU
 * session file can be read, the recorder checkout, and whether MediaMTX and the recorder API answer. Each feature of
 * the console is then on, or off with a reason the producer can act on.
 */
import type { DeviceProbe } from '../../contract/index.js';
import type { R58Profile } from '../device/profile.js';
import { argv, remotePath, sh, sudo, unitName, type ShellCommand } from '../device/quote.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';
import { curl, describeReply, parseCurl, parseJson } from '../device/http.js';
import { parseSections, section, type Section } from '../device/batch.js';
import { parseSystemctlShow } from './recorder-service.js';

type Feature = DeviceProbe['features'][number];
type Sections = Map<string, Section>;

/** How a VPU file answered: readable by the login, by root through sudo -n, or why not. */
export type VpuAccess = 'user' | 'sudo' | 'missing' | 'root-only' | 'no-sudo' | 'unreadable';

function vpuCommand(file: string): ShellCommand {
  // debugfs is mode 0700 on the R58, so the login cannot even see whether the file exists; ask root when allowed.
  return sh`f=${file}; if [ -r "$f" ] && head -c 1 "$f" >/dev/null 2>&1; then echo user; elif sudo -n head -c 1 "$f" >/dev/null 2>&1; then echo sudo; elif sudo -n true >/dev/null 2>&1; then if sudo -n test -e "$f"; then echo unreadable; else echo missing; fi; elif [ -e "$f" ]; then echo root-only; else echo no-sudo; fi`;
}

export function probeCommand(profile: R58Profile): ShellCommand {
  const repo = remotePath(profile.repo.path);
  const parts: ShellCommand[] = [
    section('model', sh`tr -d '\\000' < /sys/firmware/devicetree/base/model`),
    section('kernel', sh`uname -r`),
    section('sudo', sudo(argv('true'))),
    ...unitsOf(profile).map((u) =>
      section(`unit:${u}`, sh`systemctl show -p LoadState,ActiveState ${unitName(u)}`),
    ),
    ...profile.vpu.sessionFiles.map((f) => section(`vpu:${f}`, vpuCommand(remotePath(f)))),
    section('git', sh`command -v git`),
    section('repo-dir', sh`test -d ${repo}`),
    section('repo-head', sh`git -c safe.directory=${repo} -C ${repo} log -1 --format=%H%x09%s`),
    section('repo-status', sh`git -c safe.directory=${repo} -C ${repo} status --porcelain -z`),
    section('repo-config', sh`test -f ${remotePath(`${repo}/${profile.repo.config}`)}`),
    section('gst', sh`command -v gst-launch-1.0`),
    section('mediamtx', curl(profile.mediamtx.apiHost, profile.mediamtx.apiPort, '/v3/paths/list')),
    section('recorder', curl('127.0.0.1', profile.recorderApi.port, '/status')),
  ];
  return sh`${parts.reduce((all, part) => sh`${all}; ${part}`)}`;
}

function unitsOf(profile: R58Profile): string[] {
  return [...new Set([profile.units.recorder, profile.units.mediaServer, ...profile.units.legacy])];
}

/** `git status --porcelain -z`: the paths, renames by their new name. */
export function parsePorcelainZ(text: string): string[] {
  const fields = text.split('\0');
  const files: string[] = [];
  for (let i = 0; i < fields.length; i++) {
    const entry = fields[i] ?? '';
    if (entry.length < 4) continue;
    const xy = entry.slice(0, 2);
    files.push(entry.slice(3));
    // A rename or copy is followed by its source path.
    if (xy.includes('R') || xy.includes('C')) i++;
  }
  return files;
}

function ok(s: Section | undefined): boolean {
  return s?.code === 0;
}

function said(s: Section | undefined): string {
  return (
    s?.text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? ''
  );
}

function vpuOf(parts: Sections, profile: R58Profile, deviceName: string): DeviceProbe['vpu'] {
  const user = profile.login.user;
  const answers = profile.vpu.sessionFiles.map((file) => ({
    file,
    access: said(parts.get(`vpu:${file}`)) as VpuAccess | '',
  }));
  const readable = answers.find((a) => a.access === 'user' || a.access === 'sudo');
  if (readable) return { file: readable.file, readable: true, problem: null };
  const files = profile.vpu.sessionFiles;
  const rootOnly = answers.find((a) => a.access === 'root-only' || a.access === 'unreadable');
  if (rootOnly?.access === 'root-only')
    return {
      file: rootOnly.file,
      readable: false,
      problem: `${rootOnly.file} is readable by root only, and sudo -n asks ${user} for a password. Allow ${user} passwordless sudo (as on the R58 image) to see VPU sessions.`,
    };
  if (rootOnly)
    return {
      file: rootOnly.file,
      readable: false,
      problem: `${rootOnly.file} exists on ${deviceName} but cannot be read, even as root. Check the MPP driver (dmesg | grep mpp).`,
    };
  if (answers.some((a) => a.access === 'no-sudo'))
    return {
      file: null,
      readable: false,
      problem: `${noneOf(files, 'is visible')} to ${user}, and sudo -n asks for a password, so Tally cannot look as root (debugfs is root-only). Allow ${user} passwordless sudo to see VPU sessions.`,
    };
  return {
    file: null,
    readable: false,
    problem: `${noneOf(files, 'exists')} on ${deviceName}: debugfs may not be mounted (sudo mount -t debugfs none /sys/kernel/debug), or this kernel has no MPP service.`,
  };
}

/** "A does not exist", "Neither A nor B exists", "None of A, B, C exists". */
function noneOf(files: readonly string[], verb: 'exists' | 'is visible'): string {
  const [a, b] = files;
  if (files.length === 1) return `${a} ${verb === 'exists' ? 'does not exist' : 'is not visible'}`;
  if (files.length === 2) return `Neither ${a} nor ${b} ${verb}`;
  return `None of ${files.join(', ')} ${verb}`;
}

function repoOf(parts: Sections, profile: R58Profile): { repo: DeviceProbe['repo']; problem: string | null } {
  const base = {
    path: profile.repo.path,
    present: false,
    head: null,
    subject: null,
    dirty: null,
    dirtyFiles: [],
  };
  if (!ok(parts.get('repo-dir')))
    return {
      repo: base,
      problem: `There is no recorder checkout at ${profile.repo.path}. Clone the recorder there to use presets.`,
    };
  if (!ok(parts.get('git')))
    return {
      repo: { ...base, present: true },
      problem: `git is not installed, so Tally cannot read ${profile.repo.path} (sudo apt install git).`,
    };
  const headPart = parts.get('repo-head');
  const statusPart = parts.get('repo-status');
  if (!ok(headPart)) {
    const why = said(headPart);
    return {
      repo: { ...base, present: true },
      problem: /not a git repository/i.test(why)
        ? `${profile.repo.path} is not a git checkout, so Tally cannot tell which version runs or roll it back.`
        : `git cannot read ${profile.repo.path}: ${why || 'no output'}.`,
    };
  }
  const [head, ...subject] = said(headPart).split('\t');
  const clean = ok(statusPart);
  const dirtyFiles = clean ? parsePorcelainZ(statusPart?.text ?? '') : [];
  return {
    repo: {
      path: profile.repo.path,
      present: true,
      head: head && /^[0-9a-f]{7,64}$/.test(head) ? head : null,
      subject: subject.join('\t') || null,
      dirty: clean ? dirtyFiles.length > 0 : null,
      dirtyFiles,
    },
    problem: clean ? null : `git status failed in ${profile.repo.path}: ${said(statusPart) || 'no output'}.`,
  };
}

function answer(parts: Sections, key: string): { answers: boolean; detail: string } {
  const reply = parseCurl(parts.get(key));
  return {
    answers: reply.status !== null && reply.status >= 200 && reply.status < 300,
    detail:
      reply.status === 200 && parseJson(reply.body) === undefined
        ? 'HTTP 200, but not JSON'
        : describeReply(reply),
  };
}

/** The probe from the compound command's output (exported for the unit tests). */
export function probeFrom(
  stdout: string,
  deviceId: string,
  profile: R58Profile,
  deviceName: string,
  at: Date = new Date(),
): DeviceProbe {
  const parts = parseSections(stdout);
  const units = unitsOf(profile).map((name) => {
    const props = parseSystemctlShow(parts.get(`unit:${name}`)?.text ?? '')[0] ?? {};
    const present = props.LoadState !== undefined && props.LoadState !== 'not-found';
    return { name, present, activeState: present ? (props.ActiveState ?? null) : null };
  });
  const vpu = vpuOf(parts, profile, deviceName);
  const { repo, problem: repoProblem } = repoOf(parts, profile);
  const mediamtx = answer(parts, 'mediamtx');
  const recorderApi = answer(parts, 'recorder');
  const recorderUnit = units.find((u) => u.name === profile.units.recorder);
  const legacy = units.filter((u) => profile.units.legacy.includes(u.name) && u.present).map((u) => u.name);
  const mtxAddress = `${profile.mediamtx.apiHost}:${profile.mediamtx.apiPort}`;
  const apiAddress = `127.0.0.1:${profile.recorderApi.port}`;
  const recorderOff = recorderUnit?.present
    ? `the recorder API (${apiAddress}) does not answer: ${recorderApi.detail}. ${recorderUnit.activeState === 'active' ? `${profile.units.recorder} is active but not listening; look at its journal.` : `${profile.units.recorder} is ${recorderUnit.activeState ?? 'not running'}: start it on the Recorder tab.`}`
    : `the recorder API (${apiAddress}) does not answer: ${recorderApi.detail}`;
  const configOk = ok(parts.get('repo-config'));

  const features: Feature[] = [
    feature(
      'recorder',
      recorderUnit?.present === true,
      legacy.length > 0
        ? `${profile.units.recorder} is not installed; this box has the older layout (${legacy.join(', ')}), which Tally does not drive.`
        : `The unit ${profile.units.recorder} is not installed on ${deviceName}.`,
    ),
    feature(
      'cameras',
      recorderApi.answers || mediamtx.answers,
      `No camera source answers on ${deviceName}: ${recorderOff}; MediaMTX's API (${mtxAddress}) does not answer either: ${mediamtx.detail}. Start ${profile.units.mediaServer} and ${profile.units.recorder}.`,
    ),
    feature(
      'presets',
      repo.present && repo.head !== null && repo.dirty !== null && configOk,
      repoProblem ??
        (configOk
          ? `Tally cannot read the version of ${profile.repo.path}.`
          : `${profile.repo.path}/${profile.repo.config} is missing; the recorder has no config to edit.`),
    ),
    feature('recordings', recorderApi.answers, `Recordings need the recorder API: ${recorderOff}`),
    feature(
      'pipelines',
      ok(parts.get('gst')),
      `gst-launch-1.0 is not installed on ${deviceName} (sudo apt install gstreamer1.0-tools).`,
    ),
    feature('vpu', vpu.readable, vpu.problem ?? 'No VPU session file can be read.'),
  ];

  const model = parts.get('model');
  const kernel = parts.get('kernel');
  return {
    deviceId,
    at: at.toISOString(),
    model: ok(model) && said(model) ? said(model) : null,
    kernel: ok(kernel) && said(kernel) ? said(kernel) : null,
    units,
    vpu,
    repo,
    mediamtx,
    recorderApi,
    features,
  };
}

function feature(id: Feature['id'], available: boolean, reason: string): Feature {
  return { id, available, reason: available ? null : reason };
}

export async function probeDevice(
  connections: ConnectionManager,
  deviceId: string,
  profile: R58Profile,
  deviceName: string = deviceId,
): Promise<DeviceProbe> {
  // Two curls at 5 s each bound the worst case; the rest answers at once.
  const result = await connections.exec(deviceId, probeCommand(profile), { timeoutMs: 30_000 });
  return probeFrom(result.stdout, deviceId, profile, deviceName);
}
