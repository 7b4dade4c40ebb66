/**
 * What the Recorder tab needs to keep anything live from ending in one click: which recordings run and which
 * controls fit that, whose feeds a recorder restart drops, and which applied change "Revert" undoes.
 */
import type {
  CameraView,
  Operation,
  RecorderState,
  Recording,
  Rollback,
} from '../../src-main/contract/index.js';

export interface RecordingControls {
  /** Something is being recorded, by the recorder's own account or by the files growing. */
  recording: boolean;
  /** Start is the action that fits (nothing records): it gets the primary look. */
  startPrimary: boolean;
  /** Why Start would do nothing (every streaming camera records already), or null. */
  startIdle: string | null;
  /** Stop has something to stop, or cannot rule it out (the recorder API did not say). */
  stopEnabled: boolean;
}

export function recordingControls(
  state: RecorderState | undefined,
  files: readonly Recording[] | undefined,
  cameras: readonly CameraView[] | undefined,
): RecordingControls {
  const recordingCameras = new Set(state?.recordings.map((r) => r.camera) ?? []);
  const recording = recordingCameras.size > 0 || (files ?? []).some((f) => f.active);
  const unknown = state?.recordingsProblem !== undefined;
  const streaming = (cameras ?? []).filter((c) => c.signal === 'streaming').map((c) => c.name);
  const allRecording =
    recordingCameras.size > 0 && streaming.length > 0 && streaming.every((c) => recordingCameras.has(c));
  return {
    recording,
    startPrimary: !recording && !unknown,
    startIdle: allRecording ? 'Every streaming camera is recording already.' : null,
    stopEnabled: recording || unknown,
  };
}

/** A camera whose picture is live now: a recorder restart cuts it. */
export interface LiveFeed {
  name: string;
  /** `streaming, 2 readers`: what the producer would lose, in words. */
  detail: string;
}

export function liveFeeds(cameras: readonly CameraView[] | undefined): LiveFeed[] {
  return (cameras ?? [])
    .filter((c) => c.online || c.signal === 'streaming')
    .map((c) => {
      const readers = c.readers ?? 0;
      const who = readers === 0 ? 'nobody watching' : `${readers} ${readers === 1 ? 'reader' : 'readers'}`;
      return { name: c.name, detail: `${c.signal === 'streaming' ? 'streaming' : 'online'}, ${who}` };
    });
}

/** `cam0`, `cam0 and cam1`, `cam0, cam1 and cam2`. */
export function namesText(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** What an apply's restart does to the pictures, in one sentence; `feeds` null when the cameras were not read. */
export function feedsDropSentence(unit: string, device: string, feeds: readonly LiveFeed[] | null): string {
  const restarts = `Applying restarts ${unit} on ${device}`;
  if (feeds === null)
    return `${restarts}: every live camera feed drops for a few seconds (the cameras have not been read yet, so Tally cannot name them).`;
  const one = feeds.length === 1;
  return (
    `${restarts}, so the live ${one ? 'feed' : 'feeds'} of ${namesText(feeds.map((f) => f.name))} ` +
    `${one ? 'drops' : 'drop'} for a few seconds: previews, the mixer and anyone watching over WHEP or RTSP lose ` +
    'the picture until the cameras are back.'
  );
}

/**
 * The applied change that "Revert" undoes: the newest config apply that ended healthy and is still what the device
 * runs. An apply that went back by itself left the device on the one before it, so that one still counts; a running
 * or failed apply, or a rollback since that ended anywhere else, means there is nothing to revert to from here.
 * Operations and rollbacks newest first.
 */
export function revertTarget(
  operations: readonly Operation[],
  rollbacks: readonly Rollback[],
): (Operation & { commit: string; previousCommit: string }) | undefined {
  let target: (Operation & { commit: string; previousCommit: string }) | undefined;
  for (const op of operations) {
    if (op.state === 'reverted') continue;
    if (op.state === 'succeeded' && op.commit !== null && op.previousCommit !== null)
      target = { ...op, commit: op.commit, previousCommit: op.previousCommit };
    break;
  }
  if (!target) return undefined;
  const appliedAt = Date.parse(target.endedAt ?? target.startedAt);
  const movedOn = rollbacks.some(
    (r) =>
      Date.parse(r.startedAt) >= appliedAt &&
      r.outcome !== 'running' &&
      r.endedOn !== null &&
      r.endedOn !== target.commit,
  );
  return movedOn ? undefined : target;
}
