/** A transcoder's health sample and a VMS host's state, for the renderer's kind tests. */
import type { HealthSample, VmsState } from '../../../src-main/contract/index.js';
import { NOW } from './fleet-view-fixtures.js';

export function healthSample(over: Partial<HealthSample> = {}): HealthSample {
  return {
    at: NOW - 1000,
    reachable: true,
    httpStatus: 200,
    healthy: true,
    problem: null,
    fields: { status: 'healthy', vaapi_available: true, active_streams: 1 },
    failing: [],
    sessions: 1,
    ffmpegRestarts: 0,
    memoryBytes: 150_000_000,
    metricsProblem: null,
    metrics: [],
    gpuBusyPercent: 45,
    gpuProblem: null,
    ...over,
  };
}

export function camera(
  name: string,
  over: Partial<VmsState['cameras'][number]> = {},
): VmsState['cameras'][number] {
  return {
    camera: name,
    pids: [101613],
    cpuPercent: 23.4,
    state: 'running',
    segmentS: 180,
    newest: null,
    newestAgeS: 42,
    late: false,
    recent: [],
    live: {
      url: `rtsp://127.0.0.1:8554/live/${name}`,
      state: 'up',
      codec: 'h264',
      width: 1920,
      height: 1080,
      detail: '',
      checkedAt: NOW - 2000,
    },
    ...over,
  };
}

export function vmsState(over: Partial<VmsState> = {}): VmsState {
  return {
    deviceId: 'd1',
    at: NOW - 1000,
    cameras: [camera('Duc_Tai_Dendo_1'), camera('Duc_Tai_Dendo_2')],
    totalCpuPercent: 46.7,
    budgetPerCameraPercent: 35,
    nvidia: {
      present: false,
      gpuPercent: null,
      encoderPercent: null,
      sessions: null,
      sessionLimit: null,
      averageFps: null,
      problem: 'nvidia-smi not found',
    },
    problem: null,
    ...over,
  };
}
