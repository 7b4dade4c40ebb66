/**
 * The emulated R58's files on this machine: one state directory that the device's mount namespace lays over the
 * real paths (see namespace.ts). Nothing outside it changes.
 *
 *   keys/          host key, login key and machine-id (kept with --state-dir, so the host key stays trusted and the
 *                  box keeps its identity)
 *   opt/           → /opt (the recorder checkout, a git repo owned by linaro; kept)
 *   home/          → /home (linaro's home with .ssh/authorized_keys, the mppvideodec stand-in element and the demo
 *                    mixer scenes; kept)
 *   var/upper      → writes to /var (recordings in /var/recordings, logs; kept), var/work overlay scratch
 *   etc/           → laid over /etc: passwd, group, shadow, gshadow, sudoers, hosts, hostname, ssh/,
 *                    mediamtx/mediamtx.yml (the media server's settings: ICE-TCP on or off, HLS)
 *   etc-rw/upper   → writes to /etc (kept), etc-rw/work overlay scratch
 *   bin/           → /usr/local/bin: systemctl, journalctl, dmesg, uname, gst-launch-1.0
 *   run/           → /run/tally-emu: daemon.sock, device.json
 *   tmp/           → /tmp
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { DeviceConfig } from './device/config.js';
import { templateScene } from '../contract/scene-templates.js';
import type { SceneList } from '../contract/mixer.js';
import { withH265Cameras } from './device/repo/config-yml.js';
import { createRecorderRepo, REPO_AUTHOR } from './device/repo/index.js';
import { cameraNames } from './device/unit-specs.js';
import { emulatorFile } from './files.js';
import { OPENSSH_DEFAULT_MAX_STARTUPS } from './sshd-options.js';
import { loadProfile } from '../core/device/profile.js';
import { loginUser, type EmulatorKind } from './kinds/kinds.js';
import { installKindFiles, kindCommands } from './kinds/state.js';

const run = promisify(execFile);

/** The R58's login user; the other kinds log in as `ops` (kinds/kinds.ts `loginUser`). */
export const DEVICE_USER = { name: 'linaro', uid: 1000, gid: 1000 } as const;
type LoginUser = ReturnType<typeof loginUser>;
/** Groups the board's default user is in; `adm` lets it read the whole journal, as on Debian. */
const USER_GROUPS = ['adm', 'sudo', 'audio', 'video', 'plugdev', 'render'];

export interface PreparedState {
  dir: string;
  /** We made the directory (no --state-dir): remove all of it at stop. */
  temporary: boolean;
  identityFile: string;
  hostKeyPub: string;
  /** `SHA256:…`, as `ssh-keygen -lf` prints it. */
  hostKeyFingerprint: string;
  /** `ssh-ed25519 AAAA…` (type and key, no host). */
  hostKey: string;
  /** Files and directories under `dir` that are rebuilt every start and removed at stop. */
  scratch: string[];
}

export interface PrepareOptions {
  stateDir?: string;
  cameras: number;
  hostname: string;
  repoRoot: string;
  stopTimeoutMs: number;
  restartDelayMs: number;
  /** MediaMTX `webrtcLocalTCPAddress` ':8189' (true) or '' (false). */
  iceTcp: boolean;
  /** Cameras whose config.yml entry is switched to H.265 in a commit of its own (new repos only). */
  h265Cameras: readonly string[];
  /** VPU sessions the kernel model allows (default 8). */
  vpuMaxSessions?: number;
  /** sshd's MaxStartups, already checked (sshd-options.ts); default OpenSSH's 10:30:100. */
  sshdMaxStartups?: string;
  /** A light box (fleet tests): see DeviceConfig.light. */
  light?: boolean;
  /**
   * A recorder repo made by `makeRepoTemplate` for the same cameras: copied instead of created (its commits are the
   * same either way). A fleet makes one for all its boxes.
   */
  repoTemplate?: string;
  /** Which box (default the R58). */
  kind?: EmulatorKind;
  /** VMS: seconds per recording segment (default 180). */
  segmentSeconds?: number;
  /** VMS: install the `nvidia-smi` stand-in. */
  nvidia?: boolean;
}

/** The device's MediaMTX settings file; the stand-in reads these keys (media/config-file.ts). */
export function mediamtxYml(iceTcp: boolean): string {
  return [
    '# MediaMTX settings of this R58 (only the keys the console cares about; the rest are the defaults)',
    'api: yes',
    "apiAddress: '127.0.0.1:9997'",
    "rtspAddress: ':8554'",
    'webrtc: yes',
    "webrtcAddress: ':8889'",
    '# ICE over TCP (one port for every session); empty turns it off',
    `webrtcLocalTCPAddress: '${iceTcp ? ':8189' : ''}'`,
    'hls: yes',
    "hlsAddress: ':8888'",
    'hlsVariant: mpegts',
    'hlsSegmentDuration: 1s',
    'hlsMuxerCloseAfter: 10s',
    '',
  ].join('\n');
}

/** Commit "these cameras go H.265" on top of the recorder's history, as someone on the box would. */
async function commitH265Cameras(repoDir: string, names: readonly string[]): Promise<void> {
  const file = path.join(repoDir, 'config.yml');
  await fs.writeFile(file, withH265Cameras(await fs.readFile(file, 'utf8'), names));
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: '/nonexistent',
    LANG: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: REPO_AUTHOR.name,
    GIT_AUTHOR_EMAIL: REPO_AUTHOR.email,
    GIT_COMMITTER_NAME: REPO_AUTHOR.name,
    GIT_COMMITTER_EMAIL: REPO_AUTHOR.email,
  };
  // The tree already belongs to linaro; root may still commit in it.
  const git = ['-c', 'safe.directory=*', '-C', repoDir];
  await run('git', [...git, 'add', 'config.yml'], { env });
  await run('git', [...git, 'commit', '-q', '-m', `${names.join(', ')}: H.265 (mpph265enc)`], { env });
}

/** The box's /etc/machine-id: made once, kept in keys/ with the host key (a --state-dir keeps both). */
async function machineId(file: string): Promise<string> {
  const kept = (await fs.readFile(file, 'utf8').catch(() => '')).trim();
  if (/^[0-9a-f]{32}$/.test(kept)) return kept;
  const id = randomBytes(16).toString('hex');
  await fs.writeFile(file, `${id}\n`, { mode: 0o444 });
  return id;
}

async function keygen(file: string, comment: string): Promise<void> {
  if (existsSync(file) && existsSync(`${file}.pub`)) return;
  await fs.rm(file, { force: true });
  await fs.rm(`${file}.pub`, { force: true });
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
}

/** Host account files without this machine's own users (uid ≥ 1000), plus the device user. */
async function accountFiles(etc: string, user: LoginUser): Promise<void> {
  const read = (f: string): Promise<string> => fs.readFile(f, 'utf8').catch(() => '');
  const [passwd, group, shadow, gshadow] = await Promise.all(
    ['/etc/passwd', '/etc/group', '/etc/shadow', '/etc/gshadow'].map(read),
  );
  const { name, uid, gid } = user;
  const keepIds = (text: string, field: number): string[] =>
    text.split('\n').filter((l) => {
      if (!l) return false;
      const id = Number(l.split(':')[field]);
      return !(id >= 1000 && id !== 65534);
    });
  const passwdLines = keepIds(passwd ?? '', 2);
  const dropped = new Set(
    (passwd ?? '')
      .split('\n')
      .filter((l) => l && !passwdLines.includes(l))
      .map((l) => l.split(':')[0]),
  );
  const groupLines = keepIds(group ?? '', 2).map((l) => {
    const [gname, x, id, members = ''] = l.split(':');
    const list = members.split(',').filter((m) => m && !dropped.has(m));
    if (USER_GROUPS.includes(gname ?? '')) list.push(name);
    return `${gname}:${x}:${id}:${list.join(',')}`;
  });
  const groupNames = new Set(groupLines.map((l) => l.split(':')[0]));
  const keepNames = (text: string, names: Set<string | undefined>): string[] =>
    text.split('\n').filter((l) => l && names.has(l.split(':')[0]));
  const userNames = new Set(passwdLines.map((l) => l.split(':')[0]));
  const files: [string, string, number][] = [
    [
      'passwd',
      [...passwdLines, `${name}:x:${uid}:${gid}:${user.gecos}:/home/${name}:/bin/bash`].join('\n'),
      0o644,
    ],
    ['group', [...groupLines, `${name}:x:${gid}:`].join('\n'), 0o644],
    ['shadow', [...keepNames(shadow ?? '', userNames), `${name}:*:19000:0:99999:7:::`].join('\n'), 0o640],
    ['gshadow', [...keepNames(gshadow ?? '', groupNames), `${name}:!::`].join('\n'), 0o640],
  ];
  for (const [file, text, mode] of files) {
    await fs.writeFile(path.join(etc, file), `${text}\n`, { mode });
    await fs.chmod(path.join(etc, file), mode);
  }
  const shadowGid = Number(
    (group ?? '')
      .split('\n')
      .find((l) => l.startsWith('shadow:'))
      ?.split(':')[2] ?? 0,
  );
  await fs.chown(path.join(etc, 'shadow'), 0, shadowGid);
  await fs.chown(path.join(etc, 'gshadow'), 0, shadowGid);
}

function sudoers(user: LoginUser): string {
  return [
    '# /etc/sudoers on this box: the default user may run anything without a password.',
    'Defaults\tenv_reset',
    'Defaults\tmail_badpass',
    'Defaults\tsecure_path="/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"',
    'Defaults\tuse_pty',
    'root\tALL=(ALL:ALL) ALL',
    `${user.name}\tALL=(ALL:ALL) NOPASSWD: ALL`,
    '',
  ].join('\n');
}

function sshdConfig(maxStartups: string): string {
  return [
    '# The emulated box: OpenSSH on port 22 of the device network namespace.',
    'Port 22',
    'ListenAddress 0.0.0.0',
    'HostKey /etc/ssh/ssh_host_ed25519_key',
    'PidFile /run/sshd.pid',
    'UsePAM no',
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'AuthorizedKeysFile .ssh/authorized_keys',
    // A --state-dir somewhere group-writable must not lock the user out.
    'StrictModes no',
    'AllowTcpForwarding yes',
    'X11Forwarding no',
    'PrintMotd no',
    'AcceptEnv LANG LC_*',
    // OpenSSH's default unless a test asks for another (refusing logins is part of what a fleet test checks).
    `MaxStartups ${maxStartups}`,
    'MaxSessions 100',
    'LogLevel VERBOSE',
    'Subsystem sftp /usr/lib/openssh/sftp-server',
    '',
  ].join('\n');
}

async function copySkel(home: string): Promise<void> {
  for (const entry of await fs.readdir('/etc/skel').catch(() => [] as string[])) {
    const target = path.join(home, entry);
    if (!existsSync(target)) await fs.cp(path.join('/etc/skel', entry), target, { recursive: true });
  }
}

async function chownTree(target: string, uid: number, gid: number): Promise<void> {
  await fs.lchown(target, uid, gid);
  if (!(await fs.lstat(target)).isDirectory()) return;
  for (const entry of await fs.readdir(target)) await chownTree(path.join(target, entry), uid, gid);
}

export async function prepareState(opts: PrepareOptions): Promise<PreparedState> {
  const temporary = opts.stateDir === undefined;
  const dir = opts.stateDir
    ? path.resolve(opts.stateDir)
    : await fs.mkdtemp(path.join(os.tmpdir(), 'tally-emu-'));
  // Overlay mount options are comma and colon separated.
  if (/[,:\s]/.test(dir))
    throw new Error(
      `The state directory ${dir} has a comma, colon or space in its path; choose another one.`,
    );
  const p = (...parts: string[]): string => path.join(dir, ...parts);
  const scratch = ['run', 'etc', 'etc-rw/work', 'var/work', 'bin', 'tmp'].map((s) => p(s));
  await Promise.all(scratch.map((s) => fs.rm(s, { recursive: true, force: true })));
  await Promise.all(
    [
      'keys',
      'run',
      'etc/ssh',
      'etc-rw/upper',
      'etc-rw/work',
      'var/upper',
      'var/work',
      'opt',
      'home',
      'bin',
    ].map((s) => fs.mkdir(p(s), { recursive: true })),
  );
  await fs.chmod(p('keys'), 0o700);
  await fs.mkdir(p('tmp'), { mode: 0o1777 });
  await fs.chmod(p('tmp'), 0o1777);

  const hostKeyFile = p('keys', 'ssh_host_ed25519_key');
  const identityFile = p('keys', 'id_ed25519');
  const repoDir = p('opt', 'preke-r58-recorder');
  const kind = opts.kind ?? 'r58';
  const r58 = kind === 'r58';
  const user = loginUser(kind);
  const { uid, gid, name } = user;
  const home = p('home', name);

  await Promise.all([
    keygen(hostKeyFile, `root@${opts.hostname}`),
    keygen(identityFile, 'tally-emulator'),
    !r58
      ? installKindFiles(dir, kind, opts.repoRoot, { segmentSeconds: opts.segmentSeconds ?? 180 })
      : existsSync(path.join(repoDir, '.git'))
        ? Promise.resolve()
        : opts.repoTemplate
          ? fs
              .rm(repoDir, { recursive: true, force: true })
              // -a keeps linaro as the owner (the template is chowned already).
              .then(() => run('cp', ['-a', opts.repoTemplate ?? '', repoDir]))
          : fs
              .rm(repoDir, { recursive: true, force: true })
              .then(() => createRecorderRepo(repoDir, { cameras: opts.cameras }))
              .then(async () => {
                if (opts.h265Cameras.length > 0) await commitH265Cameras(repoDir, opts.h265Cameras);
                await chownTree(repoDir, uid, gid);
              }),
    accountFiles(p('etc'), user),
    fs.writeFile(p('etc', 'sudoers'), sudoers(user), { mode: 0o440 }),
    fs
      .readFile('/etc/hosts', 'utf8')
      .then((hosts) =>
        fs.writeFile(p('etc', 'hosts'), `${hosts.replace(/\n*$/, '\n')}127.0.1.1\t${opts.hostname}\n`),
      ),
    fs.writeFile(p('etc', 'hostname'), `${opts.hostname}\n`),
    machineId(p('keys', 'machine-id')).then((id) => fs.writeFile(p('etc', 'machine-id'), `${id}\n`)),
    fs.writeFile(
      p('etc', 'ssh', 'sshd_config'),
      sshdConfig(opts.sshdMaxStartups ?? OPENSSH_DEFAULT_MAX_STARTUPS),
    ),
    r58
      ? fs
          .mkdir(p('etc', 'mediamtx'), { recursive: true })
          .then(() => fs.writeFile(p('etc', 'mediamtx', 'mediamtx.yml'), mediamtxYml(opts.iceTcp)))
      : Promise.resolve(),
    fs.mkdir(path.join(home, '.ssh'), { recursive: true }).then(() => copySkel(home)),
  ]);
  await fs.chmod(p('etc', 'sudoers'), 0o440);

  const [hostPub, userPub] = await Promise.all([
    fs.readFile(`${hostKeyFile}.pub`, 'utf8'),
    fs.readFile(`${identityFile}.pub`, 'utf8'),
  ]);
  await Promise.all([
    fs.copyFile(hostKeyFile, p('etc', 'ssh', 'ssh_host_ed25519_key')),
    fs.writeFile(p('etc', 'ssh', 'ssh_host_ed25519_key.pub'), hostPub),
    fs.writeFile(path.join(home, '.ssh', 'authorized_keys'), userPub, { mode: 0o600 }),
  ]);
  await fs.chmod(p('etc', 'ssh', 'ssh_host_ed25519_key'), 0o600);
  await fs.chmod(path.join(home, '.ssh'), 0o700);
  await fs.chmod(home, 0o755);
  if (r58 && opts.cameras > 0) {
    await installDecoderElement(home, opts.repoRoot);
    await seedMixerScenes(home, cameraNames(opts.cameras));
  }
  await chownTree(home, uid, gid);

  await installCommands(p('bin'), opts.repoRoot, kindCommands(kind, opts.nvidia ?? false));

  const config: DeviceConfig = {
    kind,
    segmentSeconds: opts.segmentSeconds ?? 180,
    nvidia: opts.nvidia ?? false,
    repoRoot: opts.repoRoot,
    hostname: opts.hostname,
    cameras: opts.cameras,
    user: { name, uid, gid },
    sshdConfig: '/etc/ssh/sshd_config',
    stopTimeoutMs: opts.stopTimeoutMs,
    restartDelayMs: opts.restartDelayMs,
    vpuMaxSessions: opts.vpuMaxSessions ?? 8,
    light: opts.light ?? false,
    machineId: (await fs.readFile(p('etc', 'machine-id'), 'utf8')).trim(),
    ...(r58 ? cpuModel() : {}),
  };
  await fs.writeFile(p('run', 'device.json'), JSON.stringify(config, null, 2));

  const { stdout } = await run('ssh-keygen', ['-lf', `${hostKeyFile}.pub`]);
  const fp = /^\d+ (SHA256:\S+) /.exec(stdout.trim());
  if (!fp?.[1]) throw new Error(`unexpected ssh-keygen -lf output: ${stdout}`);
  const [type, key] = hostPub.trim().split(/\s+/);
  return {
    dir,
    temporary,
    identityFile,
    hostKeyPub: `${hostKeyFile}.pub`,
    hostKeyFingerprint: fp[1],
    hostKey: `${type} ${key}`,
    scratch,
  };
}

/**
 * A recorder repo for `cameras` cameras, owned by the device user, in a new temp dir: what `repoTemplate` copies.
 * The caller removes `dir` when done.
 */
export async function makeRepoTemplate(cameras: number): Promise<{ dir: string; repo: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-emu-repo-'));
  const repo = path.join(dir, 'preke-r58-recorder');
  try {
    await createRecorderRepo(repo, { cameras });
    await chownTree(repo, DEVICE_USER.uid, DEVICE_USER.gid);
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true });
    throw err;
  }
  return { dir, repo };
}

/**
 * The device's /usr/local/bin: the daemon-backed commands (plus `docker` or `nvidia-smi` on the kinds that have
 * them), and on the R58 the gst-launch-1.0 wrapper.
 */
async function installCommands(
  bin: string,
  repoRoot: string,
  extra: readonly string[] | undefined,
): Promise<void> {
  const script = emulatorFile(repoRoot, 'device', 'commands', 'device-command.sh');
  await Promise.all(
    ['systemctl', 'journalctl', 'dmesg', 'uname', ...(extra ?? [])].map(async (name) => {
      await fs.copyFile(script, path.join(bin, name));
      await fs.chmod(path.join(bin, name), 0o755);
    }),
  );
  if (extra !== undefined) return;
  // A copy, not a symlink: the login user must be able to run it even when the checkout sits in a directory only
  // root can enter (a fresh clone in `mktemp -d`), or PATH would fall through to the real gst-launch-1.0.
  const wrapper = path.join(bin, 'gst-launch-1.0');
  await fs.copyFile(emulatorFile(repoRoot, 'device', 'gst', 'gst-launch.py'), wrapper);
  await fs.chmod(wrapper, 0o755);
}

/**
 * `mppvideodec` for programs that build their own pipelines (the mixer agent): GStreamer's Python plugin loader
 * finds it in the login user's ~/.gstreamer-1.0/plugins/python/. Under the device's /home, never the host's shared
 * plugin dirs or root's home (root's registry cache is shared with this machine's own GStreamer). Copied at every
 * start, so a kept state dir gets the current element.
 */
async function installDecoderElement(home: string, repoRoot: string): Promise<void> {
  const dir = path.join(home, '.gstreamer-1.0', 'plugins', 'python');
  await fs.mkdir(dir, { recursive: true });
  await fs.copyFile(
    emulatorFile(repoRoot, 'device', 'gst', 'mppvideodec.py'),
    path.join(dir, 'mppvideodec.py'),
  );
}

/** The demo's scenes (cam0 full, 2×2, picture-in-picture), so a newcomer sees the mixer at once. Kept if present. */
export function demoScenes(cameras: readonly string[]): SceneList {
  const scenes = [templateScene('full', cameras, 'cam0-full', `${cameras[0] ?? 'cam0'} full`)];
  if (cameras.length >= 4) scenes.push(templateScene('grid-2x2', cameras, 'grid-2x2'));
  if (cameras.length >= 2) scenes.push(templateScene('pip', cameras, 'pip'));
  return { rev: 1, scenes };
}

async function seedMixerScenes(home: string, cameras: readonly string[]): Promise<void> {
  const dir = path.join(home, '.tally', 'mixer');
  const file = path.join(dir, 'scenes.json');
  if (existsSync(file)) return;
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(file, `${JSON.stringify(demoScenes(cameras), null, 2)}\n`);
}

/** Remove what `prepareState` rebuilds every time; with a temporary state dir, everything. */
export async function cleanState(state: PreparedState): Promise<void> {
  if (state.temporary) {
    await fs.rm(state.dir, { recursive: true, force: true });
    return;
  }
  await Promise.all(state.scratch.map((s) => fs.rm(s, { recursive: true, force: true })));
}

/** The R58 profile's CPU figures, so the emulated board's CPU follows the same numbers the budget uses. */
function cpuModel(): Pick<DeviceConfig, 'cpu'> {
  const profile = loadProfile('r58');
  if (!profile.cpu) return {};
  return { cpu: { ...profile.cpu, softwareDecoder: profile.mixer?.softwareDecoder ?? 'avdec_h264' } };
}
