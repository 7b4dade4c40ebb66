/**
 * The systemd units of the two x86 kinds of box (the R58's are in device/unit-specs.ts):
 *
 *   transcoder  ssh, test-receiver (the venue's receiver on 127.0.0.1:17999, kinds/receiver.py). The container
 *               `xg2g-transcoder` is not a unit: the daemon's Docker model runs it (kinds/docker-model.ts).
 *   vms         ssh, mediamtx (the RTSP server for the live outputs, kinds/rtsp_relay.py), vms-recorder
 *               (`/opt/vms/vms-recorder`, whatever build is installed there now).
 */
import type { DeviceConfig } from '../device/config.js';
import type { UnitSpec } from '../device/units.js';
import { emulatorFile } from '../files.js';
import { canConnect } from '../tcp-probe.js';
import { TRANSCODER, VMS } from './kinds.js';
import { FAULTS_DIR } from './vms-box.js';

type Common = Pick<UnitSpec, 'env' | 'restart' | 'restartDelayMs' | 'stopTimeoutMs'>;

export const VMS_API_PORT = 9997;

function listening(port: number): () => Promise<boolean> {
  return () => canConnect('127.0.0.1', port, 500);
}

export function kindUnitSpecs(config: DeviceConfig, common: Common, ssh: UnitSpec): UnitSpec[] {
  const py = (name: string): string => emulatorFile(config.repoRoot, 'kinds', name);
  if (config.kind === 'transcoder')
    return [
      ssh,
      {
        ...common,
        name: 'test-receiver',
        description: 'Enigma2 receiver stand-in (MPEG-2 + MP2 test stream)',
        exec: ['/usr/bin/python3', '-S', py('receiver.py'), '--port', String(TRANSCODER.receiverPort)],
        cwd: '/',
        identifier: 'receiver',
        killMode: 'control-group',
        ready: listening(TRANSCODER.receiverPort),
        fragmentPath: '/etc/systemd/system/test-receiver.service',
      },
    ];
  return [
    ssh,
    {
      ...common,
      name: 'mediamtx',
      description: 'MediaMTX (RTSP server for the live outputs)',
      exec: [
        '/usr/bin/python3',
        '-S',
        py('rtsp_relay.py'),
        '--port',
        String(VMS.rtspPort),
        '--api-port',
        String(VMS_API_PORT),
        '--faults',
        FAULTS_DIR,
      ],
      cwd: '/',
      identifier: 'mediamtx',
      killMode: 'control-group',
      ready: listening(VMS.rtspPort),
      fragmentPath: '/etc/systemd/system/mediamtx.service',
    },
    {
      ...common,
      name: VMS.unit,
      description: 'VMS camera recorder',
      exec: [VMS.binary],
      cwd: '/opt/vms',
      identifier: 'vms-recorder',
      killMode: 'control-group',
      after: ['mediamtx'],
      fragmentPath: '/etc/systemd/system/vms-recorder.service',
    },
  ];
}
