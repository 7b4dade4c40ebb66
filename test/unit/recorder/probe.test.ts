import { describe, expect, it } from 'vitest';
import type { DeviceProbe } from '../../../src-main/contract/index.js';
import { loadProfile } from '../../../src-main/core/device/profile.js';
import { parsePorcelainZ, probeCommand, probeFrom } from '../../../src-main/core/recorder/probe.js';

const profile = loadProfile('r58');
const HEAD = '552b6077ce131db6e88125ceb28aec8f2ff1c1c1';

function frame(name: string, text: string, code = 0): string {
  return `@@tally-section ${name}\n${text}\n@@tally-rc ${code}\n`;
}

const REFUSED = (port: number): string =>
  `curl: (7) Failed to connect to 127.0.0.1 port ${port} after 0 ms: Couldn't connect to server\n\n@@http 000`;

interface Box {
  recorder?: 'active' | 'inactive' | 'missing';
  legacy?: boolean;
  vpu?: string;
  repo?: 'clean' | 'dirty' | 'missing' | 'not-git' | 'dubious';
  mediamtx?: boolean;
  api?: boolean;
  gst?: boolean;
}

/** The probe command's output for a box described by `box` (defaults: the healthy R58). */
function output(box: Box = {}): string {
  const unit = (state: 'active' | 'inactive' | 'missing'): string =>
    state === 'missing'
      ? 'LoadState=not-found\nActiveState=inactive'
      : `LoadState=loaded\nActiveState=${state}`;
  const repo = box.repo ?? 'clean';
  return [
    frame('model', 'Rockchip RK3588 R58 Board'),
    frame('kernel', '5.10.160-rockchip-rk3588'),
    frame('sudo', ''),
    frame('unit:preke-recorder', unit(box.recorder ?? 'active')),
    frame('unit:mediamtx', unit('active')),
    frame('unit:r58-pipeline', unit(box.legacy ? 'active' : 'missing')),
    frame('unit:r58-api', unit(box.legacy ? 'active' : 'missing')),
    frame('vpu:/sys/kernel/debug/mpp_service/session', box.vpu ?? 'sudo'),
    frame(
      'vpu:/proc/mpp_service/sessions-summary',
      box.vpu === 'sudo' || box.vpu === undefined ? 'missing' : box.vpu,
    ),
    frame('git', '/usr/bin/git'),
    frame('repo-dir', '', repo === 'missing' ? 1 : 0),
    repo === 'not-git'
      ? frame('repo-head', 'fatal: not a git repository (or any of the parent directories): .git', 128)
      : repo === 'dubious'
        ? frame(
            'repo-head',
            "fatal: detected dubious ownership in repository at '/opt/preke-r58-recorder'",
            128,
          )
        : repo === 'missing'
          ? frame('repo-head', 'fatal: cannot change to /opt/preke-r58-recorder', 128)
          : frame('repo-head', `${HEAD}\tSwitch to H.264 hardware encoding (mpph264enc)`),
    frame('repo-status', repo === 'dirty' ? ' M config.yml\0?? notes.txt\0R  src/new.py\0src/old.py\0' : ''),
    frame('repo-config', '', repo === 'missing' ? 1 : 0),
    frame('gst', box.gst === false ? '' : '/usr/local/bin/gst-launch-1.0', box.gst === false ? 1 : 0),
    frame(
      'mediamtx',
      box.mediamtx === false ? REFUSED(9997) : '{"itemCount":0,"pageCount":0,"items":[]}\n@@http 200',
    ),
    frame('recorder', box.api === false ? REFUSED(8000) : '{"summary":{},"cameras":{}}\n\n@@http 200'),
  ].join('');
}

function featureOf(probe: DeviceProbe, id: string): DeviceProbe['features'][number] | undefined {
  return probe.features.find((f) => f.id === id);
}

describe('probe', () => {
  it('is one command for every fact', () => {
    const text = probeCommand(profile).text;
    expect(text).toContain('systemctl show -p LoadState,ActiveState preke-recorder');
    expect(text).toContain('systemctl show -p LoadState,ActiveState r58-api');
    expect(text).toContain(
      'git -c safe.directory=/opt/preke-r58-recorder -C /opt/preke-r58-recorder status --porcelain -z',
    );
    expect(text).toContain(' http://127.0.0.1:9997/v3/paths/list;');
    expect(text).toContain(' http://127.0.0.1:8000/status;');
  });

  it('reads a healthy R58: everything on', () => {
    const probe = probeFrom(output(), 'd1', profile, 'studio-a', new Date('2026-11-21T14:00:00Z'));
    expect(probe).toEqual<DeviceProbe>({
      deviceId: 'd1',
      at: '2026-11-21T14:00:00.000Z',
      model: 'Rockchip RK3588 R58 Board',
      kernel: '5.10.160-rockchip-rk3588',
      units: [
        { name: 'preke-recorder', present: true, activeState: 'active' },
        { name: 'mediamtx', present: true, activeState: 'active' },
        { name: 'r58-pipeline', present: false, activeState: null },
        { name: 'r58-api', present: false, activeState: null },
      ],
      vpu: { file: '/sys/kernel/debug/mpp_service/session', readable: true, problem: null },
      repo: {
        path: '/opt/preke-r58-recorder',
        present: true,
        head: HEAD,
        subject: 'Switch to H.264 hardware encoding (mpph264enc)',
        dirty: false,
        dirtyFiles: [],
      },
      mediamtx: { answers: true, detail: 'HTTP 200' },
      recorderApi: { answers: true, detail: 'HTTP 200' },
      features: ['recorder', 'cameras', 'presets', 'recordings', 'pipelines', 'vpu'].map((id) => ({
        id: id as DeviceProbe['features'][number]['id'],
        available: true,
        reason: null,
      })),
    });
  });

  it('lists dirty files, renames by their new name', () => {
    expect(parsePorcelainZ(' M config.yml\0?? notes.txt\0R  src/new.py\0src/old.py\0')).toEqual([
      'config.yml',
      'notes.txt',
      'src/new.py',
    ]);
    const probe = probeFrom(output({ repo: 'dirty' }), 'd1', profile, 'studio-a');
    expect(probe.repo).toMatchObject({ dirty: true, dirtyFiles: ['config.yml', 'notes.txt', 'src/new.py'] });
    expect(featureOf(probe, 'presets')?.available).toBe(true);
  });

  it('turns features off with a reason the producer can act on', () => {
    const probe = probeFrom(
      output({
        recorder: 'missing',
        legacy: true,
        api: false,
        mediamtx: false,
        gst: false,
        repo: 'missing',
        vpu: 'missing',
      }),
      'd1',
      profile,
      'studio-a',
    );
    expect(probe.recorderApi.answers).toBe(false);
    expect(probe.recorderApi.detail).toMatch(/^curl: \(7\) Failed to connect/);
    expect(featureOf(probe, 'recorder')?.reason).toBe(
      'preke-recorder is not installed; this box has the older layout (r58-pipeline, r58-api), which Tally does not drive.',
    );
    expect(featureOf(probe, 'cameras')?.reason).toMatch(
      /^No camera source answers on studio-a: the recorder API \(127\.0\.0\.1:8000\) does not answer: curl: \(7\).*; MediaMTX's API \(127\.0\.0\.1:9997\) does not answer either: curl: \(7\).* Start mediamtx and preke-recorder\.$/,
    );
    expect(featureOf(probe, 'presets')?.reason).toBe(
      'There is no recorder checkout at /opt/preke-r58-recorder. Clone the recorder there to use presets.',
    );
    expect(featureOf(probe, 'recordings')?.reason).toMatch(/^Recordings need the recorder API: /);
    expect(featureOf(probe, 'pipelines')?.reason).toBe(
      'gst-launch-1.0 is not installed on studio-a (sudo apt install gstreamer1.0-tools).',
    );
    expect(featureOf(probe, 'vpu')?.reason).toBe(
      'Neither /sys/kernel/debug/mpp_service/session nor /proc/mpp_service/sessions-summary exists on studio-a: debugfs may not be mounted (sudo mount -t debugfs none /sys/kernel/debug), or this kernel has no MPP service.',
    );
  });

  it('says an inactive recorder should be started', () => {
    const probe = probeFrom(output({ recorder: 'inactive', api: false }), 'd1', profile, 'studio-a');
    expect(featureOf(probe, 'recordings')?.reason).toMatch(
      /preke-recorder is inactive: start it on the Recorder tab\.$/,
    );
    // MediaMTX still answers, so the cameras are there.
    expect(featureOf(probe, 'cameras')?.available).toBe(true);
  });

  it('explains a VPU file that is root-only without passwordless sudo, and a repo git will not read', () => {
    const probe = probeFrom(output({ vpu: 'root-only', repo: 'dubious' }), 'd1', profile, 'studio-a');
    expect(probe.vpu).toEqual({
      file: '/sys/kernel/debug/mpp_service/session',
      readable: false,
      problem:
        '/sys/kernel/debug/mpp_service/session is readable by root only, and sudo -n asks linaro for a password. Allow linaro passwordless sudo (as on the R58 image) to see VPU sessions.',
    });
    expect(probe.repo).toMatchObject({ present: true, head: null, dirty: null });
    expect(featureOf(probe, 'presets')?.reason).toBe(
      "git cannot read /opt/preke-r58-recorder: fatal: detected dubious ownership in repository at '/opt/preke-r58-recorder'.",
    );
    const notGit = probeFrom(output({ repo: 'not-git' }), 'd1', profile, 'studio-a');
    expect(featureOf(notGit, 'presets')?.reason).toBe(
      '/opt/preke-r58-recorder is not a git checkout, so Tally cannot tell which version runs or roll it back.',
    );
  });

  it('keeps what it found when the command was cut off', () => {
    const cut = output().slice(0, output().indexOf('@@tally-section git'));
    const probe = probeFrom(cut, 'd1', profile, 'studio-a');
    expect(probe.model).toBe('Rockchip RK3588 R58 Board');
    expect(probe.mediamtx.answers).toBe(false);
    expect(probe.repo.present).toBe(false);
  });
});
