/**
 * Starts the device: the daemon as PID 1 of new PID, mount, UTS and time namespaces inside the device's network
 * namespace, after a short shell script has laid the state directory over the R58 paths:
 *
 *   /run            fresh tmpfs (sshd's /run/sshd, /run/systemd/system as tools check for systemd), with state/run at
 *                   /run/tally-emu (the daemon socket)
 *   /etc            overlay: state/etc (accounts with linaro, sudoers, hosts, ssh) over this machine's /etc
 *   /var            overlay: writes go to state/var/upper; /var/recordings exists
 *   /opt, /home     state/opt (the recorder repo), state/home (linaro's home)
 *   /usr/local/bin  state/bin (systemctl, journalctl, dmesg, uname, gst-launch-1.0)
 *   /sys/kernel/debug  tmpfs, mode 0700 (root only, as debugfs), the daemon writes mpp_service/session
 *   /sys/class/thermal tmpfs, mode 0755, the daemon writes thermal_zoneN/{type,temp}
 *   /sys/firmware   tmpfs with devicetree/base/model
 *   /proc           a fresh proc for the PID namespace (`ps`, `top` show the device's processes), with
 *                   /proc/stat a copy the daemon keeps as an 8-core board's at the modelled load (device/proc-stat.ts)
 *   /tmp            state/tmp
 *
 * `setpriv --pdeathsig` and `unshare --kill-child` tie the device to this process: if it dies, so does PID 1,
 * and with it every process of the device; the mounts die with the mount namespace.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { DaemonEvent } from './device/daemon.js';
import { nodeEntryArgs } from './files.js';
import type { EmulatorKind } from './kinds/kinds.js';

const MOUNT_SCRIPT = String.raw`set -eu
state=$1 repo=$2 host=$3 private_tmp=$4 node=$5 tsx_cache=$6 kind=$7
shift 7
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
mkdir -p /run/sshd /run/lock /run/tally-emu /run/systemd/system
mount --bind "$state/run" /run/tally-emu
# The box's /proc/stat: this machine's copy, whose cpu lines the daemon keeps counting (proc-stat.ts): as the R58's
# 8 cores at the modelled load, or for the other kinds as this machine's cores loaded by the box's own processes.
cat /proc/stat > /run/tally-emu/proc-stat
mount --bind /run/tally-emu/proc-stat /proc/stat || echo "cannot model /proc/stat: it stays this machine's" >&2
mount -t overlay overlay -o "lowerdir=$state/etc:/etc,upperdir=$state/etc-rw/upper,workdir=$state/etc-rw/work" /etc
mount -t overlay overlay -o "lowerdir=/var,upperdir=$state/var/upper,workdir=$state/var/work" /var
[ "$kind" = r58 ] && mkdir -p /var/recordings
mount --bind "$state/opt" /opt
mount --bind "$state/home" /home
mount --bind "$state/bin" /usr/local/bin
mount -t tmpfs -o mode=0700 tmpfs /sys/kernel/debug
if [ "$kind" = r58 ]; then
  mount -t tmpfs -o mode=0755 tmpfs /sys/class/thermal
else
  # /sys/class becomes a tmpfs with this machine's classes bound back, so the box can have its own drm (the GPU
  # busy file), dmi (its product name) and thermal entries; sysfs itself cannot get new directories.
  mkdir -p /run/.sysclass
  mount --bind /sys/class /run/.sysclass
  mount -t tmpfs -o mode=0755 tmpfs /sys/class
  for d in /run/.sysclass/*; do
    n=${'$'}{d##*/}
    case "$n" in thermal | drm | dmi) continue ;; esac
    mkdir "/sys/class/$n" && mount --bind "$d" "/sys/class/$n" || echo "cannot bind /sys/class/$n back" >&2
  done
  umount /run/.sysclass
  rmdir /run/.sysclass
  mkdir -p /sys/class/thermal /sys/class/dmi/id
fi
mount -t tmpfs -o mode=0755 tmpfs /sys/firmware
hostname "$host"
if [ "$private_tmp" = 1 ]; then
  # tsx's compile cache stays this machine's, so the device's Node processes start warm.
  if [ -n "$tsx_cache" ] && [ -d "$tsx_cache" ]; then
    mkdir -p "$state/tmp/${'$'}{tsx_cache##*/}"
    mount --bind "$tsx_cache" "$state/tmp/${'$'}{tsx_cache##*/}"
  fi
  mount --rbind "$state/tmp" /tmp
fi
cd "$repo"
# The rest of the arguments run the daemon: from its source through tsx, or from the build.
exec "$node" "$@" --config /run/tally-emu/device.json
`;

export interface DeviceProcess {
  /** Host pid of the `setpriv` process (its process group is the whole launcher chain). */
  pid: number;
  /** Everything the device wrote to stderr (daemon errors, mount failures). */
  log(): string;
  /** Ask the daemon to stop its services, then make sure every process is gone. */
  stop(): Promise<void>;
  exited: Promise<void>;
}

export interface DeviceSpawnOptions {
  stateDir: string;
  repoRoot: string;
  hostname: string;
  netns: string;
  readyTimeoutMs: number;
  /** Called with every line the device writes on stderr (for `--verbose`). */
  onLog?: (line: string) => void;
  /** Which box (the others than the R58 get their own /sys/class). */
  kind: EmulatorKind;
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** One HTTP request to the device daemon over its socket, as seen from this machine. */
export function daemonRequest(
  socketPath: string,
  method: string,
  urlPath: string,
  body?: string,
  timeoutMs = 10_000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // A body always goes with its length: Node would send a DELETE's body without any framing.
    const headers = body === undefined ? {} : { 'content-length': Buffer.byteLength(body) };
    const req = http.request({ socketPath, method, path: urlPath, timeout: timeoutMs, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () =>
      req.destroy(new Error(`the device daemon did not answer ${method} ${urlPath} in time`)),
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Time namespace offsets that make the device's uptime start at about `uptimeSeconds`. */
function bootClock(uptimeSeconds = 20): string[] {
  let hostUptime = 0;
  try {
    hostUptime = Math.floor(Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]));
  } catch {
    return [];
  }
  const offset = hostUptime - uptimeSeconds;
  if (!Number.isFinite(offset) || offset <= 0) return [];
  return ['--time', `--boottime=-${offset}`, `--monotonic=-${offset}`];
}

export async function spawnDevice(opts: DeviceSpawnOptions): Promise<DeviceProcess> {
  // A private /tmp would hide the checkout if it lives under /tmp.
  const privateTmp = !isInside(opts.repoRoot, os.tmpdir()) && !isInside(opts.repoRoot, '/tmp');
  const argv = [
    '--pdeathsig',
    'SIGKILL',
    'ip',
    'netns',
    'exec',
    opts.netns,
    'unshare',
    '--mount',
    '--propagation',
    'private',
    '--uts',
    // A fresh-looking uptime: /proc/uptime, `uptime` and dmesg timestamps agree and start near 20 s.
    ...bootClock(),
    '--pid',
    '--fork',
    '--kill-child=SIGKILL',
    '--mount-proc',
    'sh',
    '-c',
    MOUNT_SCRIPT,
    'tally-device',
    opts.stateDir,
    opts.repoRoot,
    opts.hostname,
    privateTmp ? '1' : '0',
    process.execPath,
    // tsx keeps compiled files in <tmpdir>/tsx-<uid>; the device's Node processes run as root.
    path.join(os.tmpdir(), 'tsx-0'),
    opts.kind,
    ...nodeEntryArgs(opts.repoRoot, 'emulator-device-daemon'),
  ];
  const child: ChildProcess = spawn('setpriv', argv, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  readline.createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
    stderr += `${line}\n`;
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
    opts.onLog?.(line);
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const killAll = (): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };

  const ready = new Promise<void>((resolve, reject) => {
    readline.createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      let event: DaemonEvent;
      try {
        event = JSON.parse(line) as DaemonEvent;
      } catch {
        return;
      }
      if (event.event === 'ready') resolve();
      else reject(new Error(`The emulated device failed to start: ${event.message}\n${stderr}`));
    });
    void exited.then(() => reject(new Error(`The emulated device exited during start-up:\n${stderr}`)));
    child.once('error', (err) => reject(new Error(`Cannot start the emulated device: ${err.message}`)));
    setTimeout(
      () =>
        reject(
          new Error(`The emulated device was not ready within ${opts.readyTimeoutMs / 1000} s:\n${stderr}`),
        ),
      opts.readyTimeoutMs,
    ).unref();
  });
  try {
    await ready;
  } catch (err) {
    killAll();
    await exited;
    throw err;
  }

  const socket = path.join(opts.stateDir, 'run', 'daemon.sock');
  let stopping: Promise<void> | undefined;
  return {
    pid: child.pid ?? -1,
    log: () => stderr,
    exited,
    stop: () =>
      (stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          await daemonRequest(socket, 'POST', '/shutdown', undefined, 2000).catch(() => undefined);
          const timer = setTimeout(killAll, 6000);
          await exited;
          clearTimeout(timer);
        }
        // PID 1 is gone, so the kernel has killed the rest of the namespace; the group kill covers the launcher.
        killAll();
      })()),
  };
}
