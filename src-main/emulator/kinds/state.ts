/**
 * The files a transcoder or VMS box has in its state directory (namespace-state.ts lays them over the real paths):
 *
 *   transcoder  opt/xg2g/docker-compose.minimal.yml (the compose file `docker compose -f … up` reads)
 *   vms         opt/vms/vms-recorder, vms-recorder.before-phase3, vms-recorder.broken-build (three builds of
 *               kinds/vms_recorder.py, root-owned, 0755; a kept --state-dir keeps what it has, as a deploy left it),
 *               etc/vms/cameras.json (the cameras, the segment length, where recordings and live outputs go)
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { emulatorFile } from '../files.js';
import { composeFileText } from './docker-model.js';
import { TINY_VIDEO, TRANSCODER, VMS, type EmulatorKind } from './kinds.js';

/** The extra daemon-backed commands a kind has; undefined for the R58 (which gets the gst-launch wrapper). */
export function kindCommands(kind: EmulatorKind, nvidia: boolean): string[] | undefined {
  if (kind === 'r58') return undefined;
  if (kind === 'transcoder') return ['docker'];
  return nvidia ? ['nvidia-smi'] : [];
}

/** `/etc/vms/cameras.json`. */
export function camerasJson(segmentSeconds: number): string {
  return `${JSON.stringify(
    {
      segment_seconds: segmentSeconds,
      recordings: VMS.recordings,
      live_base: `rtsp://127.0.0.1:${VMS.rtspPort}/live`,
      video: TINY_VIDEO,
      cameras: VMS.cameras.map((name, i) => ({
        name,
        // The seed's Hikvision sources; the emulated recorder draws a test picture instead.
        source: `rtsp://10.20.0.${64 + i}:556/Streaming/Channels/102`,
      })),
    },
    null,
    2,
  )}\n`;
}

/** One build of the recorder: the source with its BUILD line set. */
export function recorderBuild(source: string, build: 'phase3' | 'phase1' | 'broken-build'): string {
  const line = 'BUILD = "phase3"';
  if (!source.includes(line)) throw new Error(`vms_recorder.py has no ${line} line to set the build with`);
  return source.replace(line, `BUILD = "${build}"`);
}

export async function installKindFiles(
  dir: string,
  kind: EmulatorKind,
  repoRoot: string,
  opts: { segmentSeconds: number },
): Promise<void> {
  if (kind === 'transcoder') {
    const file = path.join(dir, TRANSCODER.composeFile);
    await fs.mkdir(path.dirname(file), { recursive: true });
    if (!existsSync(file)) await fs.writeFile(file, composeFileText());
    return;
  }
  if (kind !== 'vms') return;
  const source = await fs.readFile(emulatorFile(repoRoot, 'kinds', 'vms_recorder.py'), 'utf8');
  const builds: [string, 'phase3' | 'phase1' | 'broken-build'][] = [
    [VMS.binary, 'phase3'],
    [VMS.backup, 'phase1'],
    [VMS.brokenBuild, 'broken-build'],
  ];
  await fs.mkdir(path.join(dir, path.dirname(VMS.binary)), { recursive: true });
  for (const [target, build] of builds) {
    const file = path.join(dir, target);
    if (existsSync(file)) continue;
    await fs.writeFile(file, recorderBuild(source, build), { mode: 0o755 });
    await fs.chmod(file, 0o755);
  }
  const config = path.join(dir, VMS.config);
  await fs.mkdir(path.dirname(config), { recursive: true });
  await fs.writeFile(config, camerasJson(opts.segmentSeconds));
}
