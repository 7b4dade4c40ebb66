import { describe, expect, it } from 'vitest';
import type { PreviewSource } from '../../../src-main/contract/index.js';
import { fleetSource, orderSources } from '../../../src-renderer/previews/sources.js';
import { EMPTY_STATS } from '../../../src-renderer/lib/video/stats.js';
import { hlsStatus, sentence, whepStatus } from '../../../src-renderer/previews/tile-text.js';
import type { WhepSnapshot } from '../../../src-renderer/lib/video/whep-session.js';

function whep(state: WhepSnapshot['state']): WhepSnapshot {
  return { state, stats: EMPTY_STATS, firstFrameMs: null, failures: 0 };
}

function source(path: string, online: boolean, program = false): PreviewSource {
  return {
    path,
    name: path,
    online,
    codec: online ? 'H264' : null,
    webrtcPlayable: true,
    reason: null,
    whepUrl: `/previews/r58/${path}/whep`,
    hlsUrl: `/previews/r58/${path}/hls/index.m3u8`,
    readers: 0,
    program,
  };
}

describe('preview tile words', () => {
  it('counts the retry down in whole seconds and says why the attempt failed, once punctuated', () => {
    const s = whepStatus(whep({ kind: 'retrying', attempt: 2, at: 10_000, reason: 'not connected.' }), 7_200);
    expect(s).toEqual({
      label: 'Retrying in 3 s',
      detail: 'Attempt 2 failed: not connected.',
      tone: 'warn',
    });
  });

  it('names offline, unsupported and unauthorized with the server message', () => {
    expect(
      whepStatus(whep({ kind: 'offline', message: "no stream is available on path 'cam3'", at: 5000 }), 0),
    ).toMatchObject({
      label: 'Offline',
      detail: "no stream is available on path 'cam3'. Checking again in 5 s.",
    });
    expect(whepStatus(whep({ kind: 'unsupported', message: 'H.265.' }), 0)).toMatchObject({
      label: 'Not playable',
      tone: 'bad',
    });
    expect(whepStatus(whep({ kind: 'unauthorized', message: '401' }), 0).label).toBe('Needs credentials');
    expect(whepStatus(undefined, 0).label).toBe('Paused');
    expect(whepStatus(whep({ kind: 'live' }), 0)).toEqual({ label: 'Live', detail: '', tone: 'ok' });
    expect(whepStatus({ ...whep({ kind: 'live' }), stalledMs: 800 }, 0)).toMatchObject({
      label: 'Stalled',
      tone: 'warn',
    });
  });

  it('labels HLS with its latency', () => {
    const snap = {
      state: { kind: 'playing' as const },
      latencySec: 4.4,
      width: 640,
      height: 360,
      framesDecoded: 10,
      fps: 30,
      firstFrameMs: 2000,
    };
    expect(hlsStatus(snap, 0).label).toBe('HLS · ~4 s latency');
    expect(hlsStatus({ ...snap, latencySec: null }, 0).label).toBe('HLS');
  });

  it('ends a sentence with exactly one full stop', () => {
    expect(sentence('first..')).toBe('first.');
    expect(sentence(' x ')).toBe('x.');
  });
});

describe('preview sources', () => {
  it('orders cameras numerically and puts the program last', () => {
    const list = [
      source('program', true, true),
      source('cam10', true),
      source('cam2', true),
      source('cam0', true),
    ];
    expect(orderSources(list).map((s) => s.path)).toEqual(['cam0', 'cam2', 'cam10', 'program']);
  });

  it('shows the program in the fleet when it is on air, else the first online camera', () => {
    expect(fleetSource([source('cam0', true), source('program', true, true)])?.path).toBe('program');
    expect(
      fleetSource([source('cam0', false), source('cam1', true), source('program', false, true)])?.path,
    ).toBe('cam1');
    expect(fleetSource([source('cam0', false)])?.path).toBe('cam0');
    expect(fleetSource([])).toBeUndefined();
  });
});
