/**
 * The R58's services: `ssh` (real OpenSSH), `mediamtx` (the media server stand-in, src-main/emulator/media/) and
 * `preke-recorder` (the recorder stand-in, src-main/emulator/device/recorder/), started in that order.
 */
import { emulatorFile, nodeEntryArgs } from '../files.js';
import { canConnect } from '../tcp-probe.js';
import { DAEMON_SOCKET, type DeviceConfig } from './config.js';
import type { UnitSpec } from './units.js';
import { kindUnitSpecs } from '../kinds/unit-specs.js';

export const MEDIA_PORTS = { rtsp: 8554, whep: 8889, api: 9997, iceTcp: 8189 } as const;
export const RECORDER_API_PORT = 8000;
export const RECORDER_DIR = '/opt/preke-r58-recorder';

/** True once something accepts a TCP connection on host:port. */
export function portOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return canConnect(host, port, timeoutMs);
}

export function cameraNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `cam${i}`);
}

/**
 * `mediamtx` on a light box without cameras: a MediaMTX with no paths (light-mediamtx.py): its API, and WHEP
 * answering 404 for every path. With a camera even a light box runs the media server stand-in, as the camera needs
 * somewhere to push.
 */
function lightMediaMtx(config: DeviceConfig): Pick<UnitSpec, 'exec' | 'cwd' | 'ready'> {
  return {
    exec: [
      '/usr/bin/python3',
      '-S',
      emulatorFile(config.repoRoot, 'device', 'light-mediamtx.py'),
      '--api-port',
      String(MEDIA_PORTS.api),
      '--whep-port',
      String(MEDIA_PORTS.whep),
      '--config',
      '/etc/mediamtx/mediamtx.yml',
    ],
    cwd: '/',
    ready: async () => (await portOpen(MEDIA_PORTS.api)) && (await portOpen(MEDIA_PORTS.whep)),
  };
}

export function unitSpecs(config: DeviceConfig): UnitSpec[] {
  const env = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    LANG: 'C.UTF-8',
    HOME: '/root',
    TALLY_EMU_SOCK: DAEMON_SOCKET,
    PYTHONUNBUFFERED: '1',
    // Root must not leave __pycache__ in the checkout.
    PYTHONDONTWRITEBYTECODE: '1',
  };
  const common = {
    env,
    restart: 'on-failure' as const,
    restartDelayMs: config.restartDelayMs,
    stopTimeoutMs: config.stopTimeoutMs,
  };
  const ssh: UnitSpec = {
    ...common,
    name: 'ssh',
    description: 'OpenBSD Secure Shell server',
    exec: ['/usr/sbin/sshd', '-D', '-e', '-f', config.sshdConfig],
    cwd: '/',
    identifier: 'sshd',
    // Debian's ssh.service: stopping the server leaves open sessions alone.
    killMode: 'process',
    ready: () => portOpen(22),
    fragmentPath: '/lib/systemd/system/ssh.service',
  };
  if (config.kind !== 'r58') return kindUnitSpecs(config, common, ssh);
  return [
    ssh,
    {
      ...common,
      name: 'mediamtx',
      description: 'MediaMTX',
      exec: [
        process.execPath,
        ...nodeEntryArgs(config.repoRoot, 'emulator-media-server'),
        '--rtsp-port',
        String(MEDIA_PORTS.rtsp),
        '--whep-port',
        String(MEDIA_PORTS.whep),
        '--whep-host',
        '0.0.0.0',
        '--api-port',
        String(MEDIA_PORTS.api),
        '--api-host',
        '127.0.0.1',
        '--ice-tcp-port',
        String(MEDIA_PORTS.iceTcp),
        '--paths',
        [...cameraNames(config.cameras), 'program'].join(','),
      ],
      // From source, `--import tsx` resolves from the working directory.
      cwd: config.repoRoot,
      identifier: 'mediamtx',
      killMode: 'control-group',
      ready: async () => (await portOpen(MEDIA_PORTS.api)) && (await portOpen(MEDIA_PORTS.rtsp)),
      startTimeoutMs: 60_000,
      fragmentPath: '/etc/systemd/system/mediamtx.service',
      ...(config.light && config.cameras === 0 ? lightMediaMtx(config) : {}),
    },
    {
      ...common,
      name: 'preke-recorder',
      description: 'Preke R58 recorder',
      exec: [
        '/usr/bin/python3',
        emulatorFile(config.repoRoot, 'device', 'recorder', 'recorder.py'),
        '--config',
        `${RECORDER_DIR}/config.yml`,
        '--api-port',
        String(RECORDER_API_PORT),
      ],
      cwd: RECORDER_DIR,
      identifier: 'python3',
      killMode: 'control-group',
      after: ['mediamtx'],
      fragmentPath: '/etc/systemd/system/preke-recorder.service',
    },
  ];
}
