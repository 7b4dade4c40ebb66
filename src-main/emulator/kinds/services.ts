/**
 * What the device daemon adds on a GPU transcoder or a VMS box (kinds/kinds.ts): the box's identity files
 * (`/sys/class/dmi/id`, the GPU busy file), the fault files, the Docker engine (transcoder), the `docker` and
 * `nvidia-smi` commands, the daemon API's `/kind/…` fault routes, and when the box counts as ready.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Command } from '../device/api.js';
import type { DeviceConfig } from '../device/config.js';
import { emulatorFile } from '../files.js';
import { canConnect } from '../tcp-probe.js';
import { dockerCommand } from './docker-cli.js';
import { DockerModel } from './docker-model.js';
import { identityOf } from './identity.js';
import { TRANSCODER, VMS } from './kinds.js';
import { cameraPids, clearVmsFaults, FAULTS_DIR, nvidiaSmi, vmsFault, type FaultReply } from './vms-box.js';

const READY_TIMEOUT_MS = 60_000;

async function waitFor(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${READY_TIMEOUT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export class KindServices {
  readonly docker: DockerModel | undefined;

  constructor(private readonly config: DeviceConfig) {
    this.docker =
      config.kind === 'transcoder'
        ? new DockerModel({
            program: emulatorFile(config.repoRoot, 'kinds', 'transcoder.py'),
            env: {
              PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
              LANG: 'C.UTF-8',
              HOME: '/root',
              PYTHONUNBUFFERED: '1',
              PYTHONDONTWRITEBYTECODE: '1',
            },
            stopTimeoutMs: 10_000,
            restartDelayMs: 500,
            faultsDir: FAULTS_DIR,
            gpuFile: TRANSCODER.gpuBusyFile,
            hostname: config.hostname,
          })
        : undefined;
  }

  /** Identity and device files, fault files cleared. */
  async prepare(): Promise<void> {
    await fs.rm(FAULTS_DIR, { recursive: true, force: true });
    await fs.mkdir(FAULTS_DIR, { recursive: true, mode: 0o755 });
    const dmi = identityOf(this.config.kind).dmi;
    if (dmi) {
      await fs.mkdir('/sys/class/dmi/id', { recursive: true });
      await fs.writeFile('/sys/class/dmi/id/sys_vendor', `${dmi.vendor}\n`);
      await fs.writeFile('/sys/class/dmi/id/product_name', `${dmi.product}\n`);
    }
    if (this.config.kind === 'transcoder') {
      const device = path.dirname(TRANSCODER.gpuBusyFile);
      await fs.mkdir(device, { recursive: true });
      // The Radeon 780M (gfx1103) as amdgpu names it.
      await fs.writeFile(path.join(device, 'vendor'), '0x1002\n');
      await fs.writeFile(path.join(device, 'device'), '0x15bf\n');
      await fs.writeFile(TRANSCODER.gpuBusyFile, '0\n');
    } else await clearVmsFaults();
  }

  /** After the units: the container started and answering (transcoder), every camera's ffmpeg running (VMS). */
  async start(): Promise<void> {
    if (this.docker) {
      await this.docker.boot();
      await waitFor(
        () => canConnect('127.0.0.1', TRANSCODER.httpPort, 500),
        `the transcoder on port ${TRANSCODER.httpPort}`,
      );
      return;
    }
    await waitFor(() => VMS.cameras.every((c) => cameraPids(c).length > 0), "every camera's ffmpeg");
  }

  commands(): Record<string, Command> {
    if (this.docker) return { docker: dockerCommand(this.docker) };
    return this.config.nvidia ? { 'nvidia-smi': nvidiaSmi } : {};
  }

  async route(method: string, route: string, body: Record<string, unknown>): Promise<FaultReply | undefined> {
    if (this.config.kind === 'vms') return vmsFault(method, route, body);
    if (route === '/transcoder/crash' && method === 'POST') {
      const crashed = this.docker?.crash();
      return crashed
        ? { status: 200, json: { ok: true, pid: crashed.pid } }
        : {
            status: 409,
            json: { ok: false, error: `${TRANSCODER.container} is not running, so it cannot crash.` },
          };
    }
    const fault = /^\/transcoder\/(health-fail|vaapi-off)$/.exec(route)?.[1];
    if (fault && (method === 'POST' || method === 'DELETE')) {
      const file = path.join(FAULTS_DIR, fault);
      if (method === 'POST') await fs.writeFile(file, '1\n');
      else await fs.rm(file, { force: true });
      return {
        status: 200,
        json: { ok: true, [fault === 'health-fail' ? 'healthFail' : 'vaapiOff']: method === 'POST' },
      };
    }
    return undefined;
  }

  /** For `GET /state`: the container as Docker sees it. */
  state(): Record<string, unknown> {
    const c = this.docker?.container;
    if (!this.docker || !c) return {};
    return {
      container: {
        id: c.id.slice(0, 12),
        image: c.imageRef,
        imageId: c.imageId,
        running: this.docker.running(c),
        restarting: this.docker.restarting(c),
        restartCount: this.docker.restartCount(c),
        pid: c.unit.mainPid,
      },
    };
  }

  async shutdown(graceMs: number): Promise<void> {
    await this.docker?.shutdown(graceMs);
  }
}
