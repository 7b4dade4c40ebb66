/**
 * `tally mixer <device> status|scenes|take <scene> [--fade MS]|start [--scene ID]|stop`: the device's scene mixer
 * from a script. `scenes` prints one scene a line, its id first. Exit codes: 0 done, 1 failed, 2 refused (budget,
 * inputs), 3 not confirmed (the link went before the device answered), 5 expired (dropped, never applied late),
 * 64 bad input, 75 busy.
 */
import type { MixerState, SceneList, TakeResult } from './contract/index.js';
import type { Console } from './core/console.js';
import { call, CliExit, connect, findDevice, table, type CliIo } from './cli-ops.js';

export const TAKE_EXIT: Record<TakeResult['outcome'], number> = {
  applied: 0,
  duplicate: 0,
  refused_budget: 2,
  refused_inputs: 2,
  not_confirmed: 3,
  expired: 5,
};

export function describeMixer(s: MixerState): string {
  const lines = [
    `mixer: ${s.status}${s.pid ? ` (pid ${s.pid})` : ''}${s.detail ? ` — ${s.detail}` : ''}`,
    `output: ${s.output.path} ${s.output.width}x${s.output.height}@${s.output.fps}${s.status === 'running' ? `, ${s.health.flowing ? `flowing at ${s.health.outFps ?? '?'} fps` : `NOT flowing${s.health.problem ? ` (${s.health.problem})` : ''}`}` : ''}`,
    `program: ${s.program ? `${s.program.name} (${s.onProgram.join(', ') || 'no camera visible'})` : '-'}`,
    `preview: ${s.preview ? `${s.preview.name} (${s.onPreview.join(', ') || 'no camera visible'})` : '-'}`,
  ];
  for (const [camera, input] of Object.entries(s.inputs))
    lines.push(
      `input ${camera}: ${input.state}, ${input.decoder === 'hw' ? 'hardware' : 'software'} decoding${input.fps !== null ? `, ${input.fps} fps` : ''}${input.error ? ` — ${input.error}` : ''}`,
    );
  return `${lines.join('\n')}\n`;
}

export async function mixerCommand(
  core: Console,
  io: CliIo,
  deviceName: string,
  action: string,
  opts: { scene?: string; fade?: number; timeoutMs: number },
): Promise<number> {
  const device = await findDevice(core, deviceName);
  await connect(core, device, opts.timeoutMs);
  const deviceId = device.id;
  switch (action) {
    case 'status':
      io.out(describeMixer(await call<MixerState>(core, 'mixer.state', { deviceId })));
      return 0;
    case 'scenes': {
      const list = await call<SceneList>(core, 'mixer.scenes.list', { deviceId });
      io.out(
        table([
          ['SCENE', 'NAME', 'CAMERAS'],
          ...list.scenes.map((s) => [s.id, s.name, s.boxes.map((b) => b.camera).join(',') || '-']),
        ]),
      );
      return 0;
    }
    case 'start':
      io.out(
        describeMixer(
          await call<MixerState>(core, 'mixer.start', {
            deviceId,
            ...(opts.scene ? { sceneId: opts.scene } : {}),
          }),
        ),
      );
      return 0;
    case 'stop':
      io.out(describeMixer(await call<MixerState>(core, 'mixer.stop', { deviceId })));
      return 0;
    case 'take': {
      if (!opts.scene)
        throw new CliExit(
          64,
          'Say which scene to take: tally mixer <device> take <scene> (tally mixer <device> scenes lists them).',
        );
      const result = await call<TakeResult>(core, 'mixer.take', {
        deviceId,
        sceneId: opts.scene,
        transition: opts.fade !== undefined ? { kind: 'fade', ms: opts.fade } : { kind: 'cut' },
      });
      io.out(`${result.outcome} (seq ${result.seq}): ${result.message}\n`);
      return TAKE_EXIT[result.outcome];
    }
    default:
      throw new CliExit(
        64,
        `Unknown mixer action "${action}": use status, scenes, take <scene> [--fade MS], start [--scene ID] or stop.`,
      );
  }
}
