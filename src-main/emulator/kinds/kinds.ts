/**
 * The kinds of box the emulator can be (README "Kinds of box"): the R58 recorder (seeds 000–002), the GPU
 * transcoder (seed 003) and the VMS recorder host (seed 004). The names match the console's `DeviceKind` and the
 * profile ids (`resources/profiles/<kind>.yaml`). No imports, so the CLI can check its input without loading the
 * emulator.
 */
export const EMULATOR_KINDS = ['r58', 'transcoder', 'vms'] as const;
export type EmulatorKind = (typeof EMULATOR_KINDS)[number];

export function isEmulatorKind(value: unknown): value is EmulatorKind {
  return typeof value === 'string' && (EMULATOR_KINDS as readonly string[]).includes(value);
}

/** `transcoder` → the kind, anything else → an error that lists the kinds. */
export function parseKind(value: string): EmulatorKind {
  if (!isEmulatorKind(value))
    throw new Error(`Unknown kind of box ${JSON.stringify(value)}: use ${EMULATOR_KINDS.join(', ')}.`);
  return value;
}

/** The login user: `linaro` on the board, `ops` on the two x86 boxes (both with passwordless sudo). */
export function loginUser(kind: EmulatorKind): { name: string; uid: number; gid: number; gecos: string } {
  return kind === 'r58'
    ? { name: 'linaro', uid: 1000, gid: 1000, gecos: 'Linaro' }
    : { name: 'ops', uid: 1000, gid: 1000, gecos: 'Operations' };
}

/** The hostname a box of this kind gets unless told otherwise. */
export function defaultHostname(kind: EmulatorKind): string {
  return kind === 'r58' ? 'r58' : kind === 'transcoder' ? 'xg2g' : 'vms';
}

/** What the ready line and the stderr greeting call one box of this kind. */
export function kindTitle(kind: EmulatorKind): string {
  return kind === 'r58' ? 'R58' : kind === 'transcoder' ? 'GPU transcoder (xg2g)' : 'VMS recorder host';
}

/** Seed 003's container, image and compose file; seed 004's unit, binary and cameras (the fixed facts). */
export const TRANSCODER = {
  container: 'xg2g-transcoder',
  repository: 'xg2g-gpu-transcoder',
  image: 'xg2g-gpu-transcoder:production',
  composeFile: '/opt/xg2g/docker-compose.minimal.yml',
  composeProject: 'xg2g',
  composeService: 'transcoder',
  httpPort: 8081,
  receiverPort: 17999,
  gpuBusyFile: '/sys/class/drm/card0/device/gpu_busy_percent',
} as const;

export const VMS = {
  unit: 'vms-recorder',
  binary: '/opt/vms/vms-recorder',
  backup: '/opt/vms/vms-recorder.before-phase3',
  brokenBuild: '/opt/vms/vms-recorder.broken-build',
  config: '/etc/vms/cameras.json',
  recordings: '/var/vms/recordings',
  cameras: ['Duc_Tai_Dendo_1', 'Duc_Tai_Dendo_2'],
  rtspPort: 8554,
  /** Seed 004: a new segment every 3 minutes. Tests pass a few seconds. */
  defaultSegmentSeconds: 180,
} as const;

/** The small picture every new-kind stand-in encodes (a 2-core machine runs the whole suite). */
export const TINY_VIDEO = { width: 320, height: 180, fps: 10 } as const;
