/** A mixer state as the device would report it, for the Mixer's renderer tests. */
import type { MixerState } from '../../../src-main/contract/index.js';

export function mixerState(over: Partial<MixerState> = {}): MixerState {
  return {
    deviceId: 'r58',
    status: 'running',
    pid: 4242,
    startedAt: '2025-01-01T10:00:00.000Z',
    output: { width: 1920, height: 1080, fps: 30, path: 'program' },
    program: null,
    preview: null,
    onProgram: [],
    onPreview: [],
    inputs: {},
    health: { flowing: true, outFps: 30, problem: null },
    readAt: '2025-01-01T10:00:01.000Z',
    detail: '',
    ...over,
  };
}
