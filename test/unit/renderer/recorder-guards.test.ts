import { describe, expect, it } from 'vitest';
import type {
  CameraView,
  Operation,
  RecorderState,
  Recording,
  Rollback,
} from '../../../src-main/contract/index.js';
import {
  feedsDropSentence,
  liveFeeds,
  namesText,
  recordingControls,
  revertTarget,
} from '../../../src-renderer/recorder/guards.js';

function camera(name: string, over: Partial<CameraView> = {}): CameraView {
  return {
    name,
    signal: 'streaming',
    detail: 'streaming (640x360)',
    resolution: '640x360',
    codec: 'H264',
    bitrateKbps: 800,
    readers: 1,
    online: true,
    ...over,
  };
}

function state(recordings: RecorderState['recordings'], over: Partial<RecorderState> = {}): RecorderState {
  return {
    unit: 'preke-recorder',
    activeState: 'active',
    subState: 'running',
    since: null,
    mainPid: 40,
    restarts: 0,
    recordings,
    ...over,
  };
}

function file(name: string, active: boolean): Recording {
  return {
    name,
    path: `/var/recordings/${name}`,
    sizeBytes: 1000,
    modified: '2026-12-06T08:00:00Z',
    durationS: null,
    codec: null,
    container: null,
    active,
    problem: null,
  };
}

const CAMS = ['cam0', 'cam1', 'cam2', 'cam3'].map((n) => camera(n));
const rec = (cam: string): { camera: string; file: string } => ({
  camera: cam,
  file: `/var/recordings/${cam}_20261206_080000.mp4`,
});

describe('recording controls', () => {
  it('makes Start the primary action only while nothing records', () => {
    expect(recordingControls(state([]), [], CAMS)).toEqual({
      recording: false,
      startPrimary: true,
      startIdle: null,
      stopEnabled: false,
    });
    expect(recordingControls(state([rec('cam0')]), [], CAMS)).toEqual({
      recording: true,
      startPrimary: false,
      startIdle: null,
      stopEnabled: true,
    });
  });

  it('leaves Start nothing to do when every streaming camera records', () => {
    const all = state(['cam0', 'cam1', 'cam2', 'cam3'].map(rec));
    expect(recordingControls(all, [], CAMS).startIdle).toBe('Every streaming camera is recording already.');
    // A camera without signal cannot record, so it does not keep Start useful.
    const three = state(['cam0', 'cam1', 'cam2'].map(rec));
    const cams = [...CAMS.slice(0, 3), camera('cam3', { signal: 'no_signal', online: false })];
    expect(recordingControls(three, [], cams).startIdle).not.toBeNull();
    expect(recordingControls(three, [], CAMS).startIdle).toBeNull();
  });

  it('counts a file still being written as recording even before the state says so', () => {
    const c = recordingControls(state([]), [file('cam0_x.mp4', true)], CAMS);
    expect(c).toMatchObject({ recording: true, startPrimary: false, stopEnabled: true });
  });

  it('keeps Stop available when the recorder API could not say, and does not offer Start as the obvious step', () => {
    const unknown = state([], { recordingsProblem: 'the recorder API did not answer' });
    expect(recordingControls(unknown, undefined, undefined)).toEqual({
      recording: false,
      startPrimary: false,
      startIdle: null,
      stopEnabled: true,
    });
  });
});

describe('live feeds', () => {
  it('names every camera a recorder restart would cut, with who is watching', () => {
    const feeds = liveFeeds([
      camera('cam0', { readers: 2 }),
      camera('cam1', { readers: 0 }),
      camera('cam2', { signal: 'no_signal', online: false, readers: null }),
      camera('cam3', { signal: 'unknown', online: true, readers: 1 }),
    ]);
    expect(feeds).toEqual([
      { name: 'cam0', detail: 'streaming, 2 readers' },
      { name: 'cam1', detail: 'streaming, nobody watching' },
      { name: 'cam3', detail: 'online, 1 reader' },
    ]);
    expect(liveFeeds(undefined)).toEqual([]);
  });

  it('says what the restart does to the pictures, naming the feeds', () => {
    expect(feedsDropSentence('preke-recorder', 'studio', liveFeeds([camera('cam0'), camera('cam1')]))).toBe(
      'Applying restarts preke-recorder on studio, so the live feeds of cam0 and cam1 drop for a few seconds: ' +
        'previews, the mixer and anyone watching over WHEP or RTSP lose the picture until the cameras are back.',
    );
    expect(feedsDropSentence('preke-recorder', 'studio', liveFeeds([camera('cam2')]))).toMatch(
      /^Applying restarts preke-recorder on studio, so the live feed of cam2 drops for a few seconds/,
    );
    expect(feedsDropSentence('preke-recorder', 'studio', null)).toMatch(/every live camera feed drops/);
  });

  it('writes names as a sentence does', () => {
    expect(namesText([])).toBe('');
    expect(namesText(['cam0'])).toBe('cam0');
    expect(namesText(['cam0', 'cam1'])).toBe('cam0 and cam1');
    expect(namesText(['cam0', 'cam1', 'cam2'])).toBe('cam0, cam1 and cam2');
  });
});

function op(
  id: string,
  state: Operation['state'],
  commit: string | null,
  previous: string | null,
  at: string,
): Operation {
  return {
    id,
    deviceId: 'd',
    kind: 'config.apply',
    title: `Apply ${id}`,
    state,
    summary: '',
    steps: [],
    evidence: [],
    commit,
    previousCommit: previous,
    refs: [],
    startedAt: at,
    endedAt: state === 'running' ? null : at,
    following: true,
  };
}

function rollback(outcome: Rollback['outcome'], endedOn: string | null, at: string): Rollback {
  return {
    id: `rb-${at}`,
    deviceId: 'd',
    device: 'studio',
    who: 'me',
    startedAt: at,
    endedAt: outcome === 'running' ? null : at,
    outcome,
    summary: '',
    from: null,
    target: 'aaaaaaa',
    made: null,
    endedOn,
    refs: [],
    probationMs: 10_000,
    steps: [],
    health: [],
    recheck: [],
    evidence: [],
    following: true,
  };
}

describe('revert', () => {
  const applied = op('a', 'succeeded', 'bbbbbbb', 'aaaaaaa', '2026-12-06T08:00:00Z');

  it('offers the newest healthy apply, back to the commit before it', () => {
    expect(revertTarget([applied], [])).toMatchObject({ id: 'a', previousCommit: 'aaaaaaa' });
  });

  it('still offers it after a later apply went back by itself to it', () => {
    const bounced = op('b', 'reverted', 'ccccccc', 'bbbbbbb', '2026-12-06T08:05:00Z');
    expect(revertTarget([bounced, applied], [])?.id).toBe('a');
  });

  it('offers nothing while an apply runs, after one failed, or when none stayed', () => {
    expect(
      revertTarget([op('b', 'running', null, 'bbbbbbb', '2026-12-06T08:05:00Z'), applied], []),
    ).toBeUndefined();
    expect(
      revertTarget([op('b', 'failed', 'ccccccc', 'bbbbbbb', '2026-12-06T08:05:00Z'), applied], []),
    ).toBeUndefined();
    expect(
      revertTarget([op('b', 'reverted', 'ccccccc', 'bbbbbbb', '2026-12-06T08:05:00Z')], []),
    ).toBeUndefined();
    expect(revertTarget([], [])).toBeUndefined();
  });

  it('goes away once a rollback since then left the device elsewhere, not when it came back to the change', () => {
    const later = '2026-12-06T08:10:00Z';
    expect(revertTarget([applied], [rollback('healthy', 'aaaaaaa', later)])).toBeUndefined();
    expect(revertTarget([applied], [rollback('reverted', 'bbbbbbb', later)])?.id).toBe('a');
    expect(revertTarget([applied], [rollback('running', null, later)])?.id).toBe('a');
    // A rollback from before the change does not count.
    expect(revertTarget([applied], [rollback('healthy', 'zzzzzzz', '2026-12-06T07:00:00Z')])?.id).toBe('a');
  });
});
