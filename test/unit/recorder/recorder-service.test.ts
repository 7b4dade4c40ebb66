import { describe, expect, it } from 'vitest';
import type { RecorderState } from '../../../src-main/contract/index.js';
import { loadProfile } from '../../../src-main/core/device/profile.js';
import type { ShellCommand } from '../../../src-main/core/device/quote.js';
import {
  endingRecordingsMessage,
  parseSystemctlShow,
  parseSystemdTimestamp,
  RecorderService,
  recorderStateFrom,
  recordingsFrom,
  sudoProblem,
} from '../../../src-main/core/recorder/recorder-service.js';
import type { ConnectionManager } from '../../../src-main/core/ssh/connection-manager.js';
import type { ExecResult } from '../../../src-main/core/ssh/types.js';

/** What the emulated R58's systemctl printed for the running recorder. */
const SHOW_ACTIVE = [
  'MainPID=49',
  'NRestarts=0',
  'LoadState=loaded',
  'ActiveState=active',
  'SubState=running',
  'ActiveEnterTimestamp=Sat 2026-11-21 14:00:03 UTC',
  'InactiveEnterTimestamp=',
].join('\n');

describe('systemctl show', () => {
  it('reads Key=Value blocks, one per unit, values may hold "="', () => {
    const text =
      'LoadState=loaded\nActiveState=active\n\nLoadState=not-found\nActiveState=inactive\nExecStart={ path=/usr/bin/python3 ; argv[]=x }\n';
    expect(parseSystemctlShow(text)).toEqual([
      { LoadState: 'loaded', ActiveState: 'active' },
      { LoadState: 'not-found', ActiveState: 'inactive', ExecStart: '{ path=/usr/bin/python3 ; argv[]=x }' },
    ]);
    expect(parseSystemctlShow('')).toEqual([]);
  });

  it('turns systemd timestamps into ISO, using the device offset for a zone abbreviation', () => {
    expect(parseSystemdTimestamp('Sat 2026-11-21 14:00:03 UTC')).toBe('2026-11-21T14:00:03.000Z');
    expect(parseSystemdTimestamp('Sat 2026-11-21 15:00:03 CET', '+0100')).toBe('2026-11-21T14:00:03.000Z');
    expect(parseSystemdTimestamp('Sat 2026-11-21 15:00:03 +0100')).toBe('2026-11-21T14:00:03.000Z');
    expect(parseSystemdTimestamp('Sat 2026-11-21 15:00:03.250 CET', '+0100')).toBe(
      '2026-11-21T14:00:03.250Z',
    );
    expect(parseSystemdTimestamp('Sat 2026-11-21 15:00:03 CET')).toBeNull();
    expect(parseSystemdTimestamp('')).toBeNull();
    expect(parseSystemdTimestamp('n/a')).toBeNull();
    expect(parseSystemdTimestamp(undefined)).toBeNull();
  });

  it('builds the recorder state: main PID, restarts, since by the current state', () => {
    const props = parseSystemctlShow(SHOW_ACTIVE)[0] ?? {};
    expect(recorderStateFrom('preke-recorder', props, '+0000', [])).toEqual<RecorderState>({
      unit: 'preke-recorder',
      activeState: 'active',
      subState: 'running',
      since: '2026-11-21T14:00:03.000Z',
      mainPid: 49,
      restarts: 0,
      recordings: [],
    });
    const stopped = recorderStateFrom(
      'preke-recorder',
      {
        MainPID: '0',
        NRestarts: '2',
        ActiveState: 'failed',
        SubState: 'failed',
        ActiveEnterTimestamp: 'Sat 2026-11-21 14:00:03 UTC',
        InactiveEnterTimestamp: 'Sat 2026-11-21 14:05:00 UTC',
      },
      undefined,
      [],
    );
    expect(stopped).toMatchObject({ mainPid: null, restarts: 2, since: '2026-11-21T14:05:00.000Z' });
  });

  it('says "unknown" rather than "nothing" when a running recorder\'s API does not answer', () => {
    const props = parseSystemctlShow(SHOW_ACTIVE)[0] ?? {};
    const silent = recordingsFrom(
      { status: null, body: '', error: 'curl: (28) Operation timed out after 5001 milliseconds' },
      8000,
    );
    expect(silent).toEqual({
      problem:
        'the recorder API (127.0.0.1:8000 on the device) did not answer: curl: (28) Operation timed out after 5001 milliseconds',
    });
    expect(recorderStateFrom('preke-recorder', props, '+0000', silent)).toMatchObject({
      recordings: [],
      recordingsProblem: expect.stringMatching(/^the recorder API .* did not answer: curl: \(28\)/),
    });
    // A stopped unit records nothing, whatever its API says.
    const stopped = recorderStateFrom('preke-recorder', { ActiveState: 'inactive' }, undefined, silent);
    expect(stopped.recordings).toEqual([]);
    expect(stopped.recordingsProblem).toBeUndefined();
    expect(recordingsFrom({ status: 500, body: 'Internal Server Error', error: null }, 8000)).toEqual({
      problem: 'the recorder API answered GET /record/status with HTTP 500, which Tally does not understand',
    });
    expect(
      recordingsFrom(
        { status: 200, body: '{"recording": {"cam1": {"file": "/var/recordings/cam1_x.mp4"}}}', error: null },
        8000,
      ),
    ).toEqual([{ camera: 'cam1', file: '/var/recordings/cam1_x.mp4' }]);
  });

  it('names every file a stop would end', () => {
    const files = [
      { camera: 'cam0', file: '/var/recordings/cam0_20261121_140126.mp4' },
      { camera: 'cam1', file: '/var/recordings/cam1_20261121_140126.mp4' },
    ];
    expect(endingRecordingsMessage('Stopping the recording on studio-a', files, (n) => `(${n})`)).toBe(
      'Stopping the recording on studio-a ends 2 recordings: cam0_20261121_140126.mp4 (cam0), ' +
        'cam1_20261121_140126.mp4 (cam1). (2)',
    );
  });

  it('recognises sudo asking for a password or refusing the user', () => {
    expect(sudoProblem('sudo: a password is required\n', 'linaro')).toBe(
      'sudo asks linaro for a password, and Tally never types one',
    );
    expect(
      sudoProblem('sudo: a terminal is required to read the password; either use the -S option', 'linaro'),
    ).toMatch(/password/);
    expect(sudoProblem('linaro is not in the sudoers file.  This incident will be reported.', 'linaro')).toBe(
      'linaro may not run this with sudo',
    );
    expect(sudoProblem('Job for preke-recorder.service failed.', 'linaro')).toBeUndefined();
  });
});

// ---- control, against a scripted device ----------------------------------------------------------------------------

interface Device {
  active: boolean;
  recording: boolean;
  sudo: 'ok' | 'password';
  /** The recorder API does not answer (while the unit runs). */
  silent?: boolean;
}

function frame(name: string, text: string, code = 0): string {
  return `@@tally-section ${name}\n${text}\n@@tally-rc ${code}\n`;
}

function scripted(device: Device): { connections: ConnectionManager; sent: string[] } {
  const sent: string[] = [];
  const reply = (stdout: string, code = 0, stderr = ''): Promise<ExecResult> =>
    Promise.resolve({ code, signal: null, stdout, stderr, durationMs: 1 });
  const connections = {
    exec: (_id: string, cmd: ShellCommand): Promise<ExecResult> => {
      const text = cmd.text;
      sent.push(text);
      if (text.includes('systemctl show')) {
        const show = device.active
          ? SHOW_ACTIVE
          : 'MainPID=0\nNRestarts=0\nLoadState=loaded\nActiveState=inactive\nSubState=dead\nInactiveEnterTimestamp=Sat 2026-11-21 14:09:00 UTC';
        const rec = device.silent
          ? 'curl: (28) Operation timed out after 5001 milliseconds\n\n@@http 000'
          : device.active
            ? `{"recording": {${device.recording ? '"cam0": {"file": "/var/recordings/cam0_20261121_140126.mp4", "running": true}' : ''}}}\n\n@@http 200`
            : "curl: (7) Failed to connect to 127.0.0.1 port 8000: Couldn't connect to server\n\n@@http 000";
        return reply(frame('show', show) + frame('tz', '+0000') + frame('rec', rec, device.active ? 0 : 7));
      }
      if (text.includes('/record/stop')) {
        device.recording = false;
        return reply(frame('api', '{"ok": true, "stopped": {}}\n\n@@http 200'));
      }
      if (text.startsWith('sudo -n systemctl')) {
        if (device.sudo === 'password') return reply('', 1, 'sudo: a password is required\n');
        device.active = !text.includes(' stop ');
        return reply('');
      }
      if (text.startsWith('systemctl is-active')) return reply(device.active ? 'active\n' : 'inactive\n');
      return reply('', 127, `unexpected: ${text}`);
    },
  } as unknown as ConnectionManager;
  return { connections, sent };
}

function service(connections: ConnectionManager, states: RecorderState[] = []): RecorderService {
  const profile = loadProfile('r58');
  return new RecorderService({
    connections,
    profileOf: () => profile,
    deviceName: () => 'studio-a',
    onState: (_id, state) => states.push(state),
    onJournal: () => undefined,
  });
}

describe('RecorderService.control', () => {
  it('asks before stopping while recording, naming the file, and sends nothing that changes the device', async () => {
    const { connections, sent } = scripted({ active: true, recording: true, sudo: 'ok' });
    const result = await service(connections).control('d', 'stop', false);
    expect(result).toEqual({
      kind: 'confirm',
      message:
        'Stopping preke-recorder on studio-a ends a recording: cam0_20261121_140126.mp4 (cam0). ' +
        'Tally stops it first, so each file is finalised and playable.',
      recordings: [{ camera: 'cam0', file: '/var/recordings/cam0_20261121_140126.mp4' }],
    });
    expect(sent.every((c) => !c.includes('sudo') && !c.includes('/record/stop'))).toBe(true);
  });

  it('confirmed: stops the recordings through the API first, then the unit, and waits for it', async () => {
    const states: RecorderState[] = [];
    const { connections, sent } = scripted({ active: true, recording: true, sudo: 'ok' });
    const result = await service(connections, states).control('d', 'stop', true);
    expect(result.kind).toBe('done');
    if (result.kind === 'done')
      expect(result.state).toMatchObject({ activeState: 'inactive', mainPid: null });
    const stopAt = sent.findIndex((c) => c.includes('/record/stop'));
    const unitAt = sent.findIndex((c) => c === 'sudo -n systemctl stop preke-recorder');
    expect(stopAt).toBeGreaterThan(0);
    expect(sent[stopAt]).toContain('camera=cam0');
    expect(unitAt).toBeGreaterThan(stopAt);
    expect(states.at(-1)?.activeState).toBe('inactive');
  });

  it('asks when the recorder API cannot say whether it records, and stops nothing', async () => {
    const { connections, sent } = scripted({ active: true, recording: true, sudo: 'ok', silent: true });
    const result = await service(connections).control('d', 'restart', false);
    expect(result).toEqual({
      kind: 'confirm',
      message:
        'Tally cannot tell whether preke-recorder on studio-a is recording: the recorder API (127.0.0.1:8000 on the ' +
        'device) did not answer: curl: (28) Operation timed out after 5001 milliseconds. Restarting preke-recorder ' +
        'on studio-a ends any recording it is making, and Tally cannot finalise those files first.',
      recordings: [],
    });
    expect(sent.every((c) => !c.includes('sudo'))).toBe(true);
  });

  it('starts without asking', async () => {
    const { connections, sent } = scripted({ active: false, recording: false, sudo: 'ok' });
    const result = await service(connections).control('d', 'start', false);
    expect(result.kind).toBe('done');
    expect(sent[0]).toBe('sudo -n systemctl start preke-recorder');
  });

  it('says that sudo wants a password, and what to allow', async () => {
    const { connections } = scripted({ active: true, recording: false, sudo: 'password' });
    await expect(service(connections).control('d', 'restart', false)).rejects.toMatchObject({
      code: 'refused',
      message:
        'Tally cannot restart preke-recorder on studio-a: sudo asks linaro for a password, and Tally never types one. ' +
        'Allow linaro passwordless sudo for systemctl (as on the R58 image: "linaro ALL=(ALL:ALL) NOPASSWD: ALL" or a ' +
        'rule for /usr/bin/systemctl), or run "sudo systemctl restart preke-recorder" in a terminal.',
    });
  });
});

describe('RecorderService.control failures', () => {
  it('passes on what systemctl said when the unit does not start', async () => {
    const profile = loadProfile('r58');
    const connections = {
      exec: (): Promise<ExecResult> =>
        Promise.resolve({
          code: 1,
          signal: null,
          stdout: '',
          stderr:
            'Job for preke-recorder.service failed because the control process exited with error code.\n' +
            'See "systemctl status preke-recorder.service" and "journalctl -xeu preke-recorder.service" for details.\n',
          durationMs: 1,
        }),
    } as unknown as ConnectionManager;
    const svc = new RecorderService({
      connections,
      profileOf: () => profile,
      deviceName: () => 'studio-a',
      onState: () => undefined,
      onJournal: () => undefined,
    });
    await expect(svc.control('d', 'start', false)).rejects.toMatchObject({
      code: 'device_error',
      message:
        'systemctl start preke-recorder failed on studio-a: Job for preke-recorder.service failed because the control ' +
        'process exited with error code. See "systemctl status preke-recorder.service" and "journalctl -xeu ' +
        'preke-recorder.service" for details. Its journal on the Recorder tab shows why.',
    });
  });
});
