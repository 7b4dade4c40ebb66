import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { sh, type ShellCommand } from '../../../src-main/core/device/quote.js';
import {
  parseRecorderStatus,
  parseRecordStatus,
  parseStarted,
  parseStartReport,
  RecorderApi,
} from '../../../src-main/core/recorder/recorder-api.js';
import { curl, parseCurl } from '../../../src-main/core/device/http.js';
import { parseSections, section } from '../../../src-main/core/device/batch.js';
import { loadProfile } from '../../../src-main/core/device/profile.js';
import type { ConnectionManager } from '../../../src-main/core/ssh/connection-manager.js';
import type { ExecResult } from '../../../src-main/core/ssh/types.js';

const run = promisify(execFile);

async function local(cmd: ShellCommand): Promise<string> {
  const { stdout } = await run('/bin/sh', ['-c', cmd.text], { encoding: 'utf8' });
  return stdout;
}

/** Seed 001, as the recorder on the R58 answers GET /status. */
const SEED_001 = {
  summary: { total: 4, streaming: 4, no_signal: 0, error: 0 },
  cameras: {
    cam0: 'streaming (3840x2160)',
    cam1: 'streaming (640x480)',
    cam2: 'streaming (1920x1080)',
    cam3: 'streaming (3840x2160)',
  },
};

describe('sections: several answers from one remote command', () => {
  it('keeps each part with its exit code and its stderr, in the real /bin/sh', async () => {
    const out = await local(
      sh`${section('one', sh`echo first; echo 'second line'`)}; ${section('two', sh`echo oops >&2; exit_code() { return 3; }; exit_code`)}; ${section('empty', sh`true`)}; ${section('nonl', sh`printf 'no newline'`)}`,
    );
    const parts = parseSections(out);
    expect(parts.get('one')).toEqual({ text: 'first\nsecond line', code: 0 });
    expect(parts.get('two')).toEqual({ text: 'oops', code: 3 });
    expect(parts.get('empty')).toEqual({ text: '', code: 0 });
    expect(parts.get('nonl')).toEqual({ text: 'no newline', code: 0 });
  });

  it('marks a part that was cut off with a null code', () => {
    const parts = parseSections('@@tally-section a\nhalf');
    expect(parts.get('a')).toEqual({ text: 'half', code: null });
  });

  it('a value in a section name or command stays one word', async () => {
    const out = await local(section('x', sh`printf '%s' ${"$(echo pwned) 'q' ;"}`));
    expect(parseSections(out).get('x')?.text).toBe("$(echo pwned) 'q' ;");
  });
});

describe('curl replies', () => {
  it('builds one curl with the status on its own line, and quotes the URL', () => {
    expect(curl('127.0.0.1', 8000, '/record/start?camera=cam0,cam1', { method: 'POST' }).text).toBe(
      "curl -sS --max-time 5 --data '' -w '\\n@@http %{http_code}' 'http://127.0.0.1:8000/record/start?camera=cam0,cam1'",
    );
    expect(curl('::1', 9997, '/v3/paths/list').text).toBe(
      "curl -sS --max-time 5 -w '\\n@@http %{http_code}' 'http://[::1]:9997/v3/paths/list'",
    );
  });

  it('reads a body with or without a final newline, and the status', () => {
    expect(parseCurl({ text: '{"a":1}\n\n@@http 200', code: 0 })).toEqual({
      status: 200,
      body: '{"a":1}\n',
      error: null,
    });
    expect(parseCurl({ text: '{"a":1}\n@@http 404', code: 0 })).toEqual({
      status: 404,
      body: '{"a":1}',
      error: null,
    });
  });

  it('gives curl’s own words when nothing answered', () => {
    const refused = {
      text: "curl: (7) Failed to connect to 127.0.0.1 port 8000 after 0 ms: Couldn't connect to server\n\n@@http 000",
      code: 7,
    };
    expect(parseCurl(refused)).toEqual({
      status: null,
      body: '',
      error: "curl: (7) Failed to connect to 127.0.0.1 port 8000 after 0 ms: Couldn't connect to server",
    });
    expect(parseCurl({ text: 'sh: 1: curl: not found', code: 127 }).error).toBe('curl is not installed');
    expect(parseCurl(undefined).status).toBeNull();
  });
});

describe('recorder JSON', () => {
  it('reads the seed 001 status summary', () => {
    expect(parseRecorderStatus(SEED_001)).toEqual(SEED_001);
  });

  it('counts a summary the recorder left out, and ignores what is not a camera word', () => {
    expect(parseRecorderStatus({ cameras: { cam0: 'streaming (640x360)', cam1: 'error', cam2: 7 } })).toEqual(
      {
        summary: { total: 2, streaming: 1, no_signal: 0, error: 0 },
        cameras: { cam0: 'streaming (640x360)', cam1: 'error' },
      },
    );
    expect(parseRecorderStatus({ detail: 'Not Found' })).toBeUndefined();
    expect(parseRecorderStatus(null)).toBeUndefined();
  });

  it('reads the active recordings of GET /record/status', () => {
    expect(
      parseRecordStatus({
        recording: {
          cam1: {
            file: '/var/recordings/cam1_20261121_140126.mp4',
            started: '2026-11-21T14:01:26+0000',
            running: true,
          },
          cam0: {
            file: '/var/recordings/cam0_20261121_140126.mp4',
            started: '2026-11-21T14:01:26+0000',
            running: true,
          },
        },
      }),
    ).toEqual([
      {
        camera: 'cam0',
        file: '/var/recordings/cam0_20261121_140126.mp4',
        startedAt: '2026-11-21T14:01:26.000Z',
      },
      {
        camera: 'cam1',
        file: '/var/recordings/cam1_20261121_140126.mp4',
        startedAt: '2026-11-21T14:01:26.000Z',
      },
    ]);
    expect(parseRecordStatus({ recording: {} })).toEqual([]);
    expect(parseRecordStatus({ status: 'idle' })).toBeUndefined();
  });

  it('reads when a recording started in the forms recorders print, and leaves anything else unknown', () => {
    expect(parseStarted('2026-11-21T14:01:26+0200')).toBe('2026-11-21T12:01:26.000Z');
    expect(parseStarted('2026-11-21T14:01:26+02:00')).toBe('2026-11-21T12:01:26.000Z');
    expect(parseStarted('2026-11-21 14:01:26Z')).toBe('2026-11-21T14:01:26.000Z');
    expect(parseStarted(1_795_000_000)).toBe(new Date(1_795_000_000_000).toISOString());
    expect(parseStarted(1_795_000_000_000)).toBe(new Date(1_795_000_000_000).toISOString());
    for (const bad of ['yesterday', '', 0, -5, null, undefined, {}, '2026-13-45T99:99:99'])
      expect(parseStarted(bad)).toBeUndefined();
    expect(parseRecordStatus({ recording: { cam0: { file: '/r/cam0.mp4', started: 'soon' } } })).toEqual([
      { camera: 'cam0', file: '/r/cam0.mp4' },
    ]);
  });

  it('reads what POST /record/start started and why the rest did not', () => {
    expect(
      parseStartReport({
        ok: false,
        started: { cam0: '/var/recordings/cam0_x.mp4' },
        errors: { cam9: 'unknown camera' },
      }),
    ).toEqual({ started: { cam0: '/var/recordings/cam0_x.mp4' }, errors: { cam9: 'unknown camera' } });
  });
});

describe('RecorderApi', () => {
  const profile = loadProfile('r58');
  function fake(reply: string, code = 0): { connections: ConnectionManager; sent: string[] } {
    const sent: string[] = [];
    const connections = {
      exec: (_id: string, cmd: ShellCommand): Promise<ExecResult> => {
        sent.push(cmd.text);
        return Promise.resolve({
          code: 0,
          signal: null,
          stdout: `@@tally-section api\n${reply}\n@@tally-rc ${code}\n`,
          stderr: '',
          durationMs: 1,
        });
      },
    } as unknown as ConnectionManager;
    return { connections, sent };
  }

  it('says the API does not answer, and what to check', async () => {
    const { connections } = fake(
      "curl: (7) Failed to connect to 127.0.0.1 port 8000: Couldn't connect to server\n\n@@http 000",
      7,
    );
    await expect(new RecorderApi(connections, 'd', profile).status()).rejects.toMatchObject({
      code: 'unavailable',
      message:
        "The recorder API (127.0.0.1:8000 on the device) did not answer GET /status: curl: (7) Failed to connect to 127.0.0.1 port 8000: Couldn't connect to server. " +
        'Check that preke-recorder is running (Recorder tab) and look at its journal.',
    });
  });

  it('names each camera that did not start', async () => {
    const { connections, sent } = fake(
      '{"ok": false, "started": {"cam0": "/var/recordings/cam0_x.mp4"}, "errors": {"cam1": "camera is error"}}\n\n@@http 200',
    );
    await expect(
      new RecorderApi(connections, 'd', profile).startRecording(['cam0', 'cam1']),
    ).rejects.toMatchObject({
      code: 'device_error',
      message:
        'Recording started for cam0, but not for the rest (cam1: camera is error). Check those cameras’ signal.',
    });
    expect(sent[0]).toContain("'http://127.0.0.1:8000/record/start?camera=cam0,cam1'");
  });

  it('refuses a camera name that is not one, before the device', async () => {
    const { connections, sent } = fake('');
    await expect(
      new RecorderApi(connections, 'd', profile).stopRecording(['cam0&camera=all']),
    ).rejects.toMatchObject({ code: 'invalid_input' });
    expect(sent).toEqual([]);
  });

  it('stops recordings with time for the files to be finalised', async () => {
    const { connections, sent } = fake('{"ok": true, "stopped": {}}\n\n@@http 200');
    await new RecorderApi(connections, 'd', profile).stopRecording();
    expect(sent[0]).toContain("curl -sS --max-time 30 --data '' ");
    expect(sent[0]).toContain(' http://127.0.0.1:8000/record/stop;');
  });
});
