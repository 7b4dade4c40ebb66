/**
 * A VMS host's alarm rules, fed each state: a camera down (critical, after a few seconds: the recorder brings a
 * crashed camera back by itself), a segment late on its schedule (critical), a live output down on two checks in a
 * row (warning), a camera's CPU over its budget for half a minute (warning, seed 004's 30 s window). Each is closed
 * by Tally when its cause clears.
 */
import type { VmsState } from '../../contract/index.js';
import type { AlarmSink } from '../device/kind-alarms.js';

export interface SegmentsAlarmOptions {
  alarms: AlarmSink;
  deviceId: string;
  deviceName: () => string;
  /** Down this long before it is an alarm (default 5 s). */
  downForMs?: number;
  /** CPU over budget, on average, over this window (default 30 s). */
  cpuWindowMs?: number;
}

function list(names: string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

export class SegmentsAlarms {
  private readonly downSince = new Map<string, number>();
  /** Per camera: the last live check counted, and how many checks in a row found it down. */
  private readonly outputDowns = new Map<string, { checkedAt: number; downs: number }>();

  constructor(private readonly opts: SegmentsAlarmOptions) {}

  reset(): void {
    this.downSince.clear();
    this.outputDowns.clear();
  }

  check(state: VmsState, cpuHistory: ReadonlyMap<string, readonly [number, number][]>): void {
    const { alarms, deviceId } = this.opts;
    const device = this.opts.deviceName();
    const at = state.at;

    for (const c of state.cameras) {
      if (c.state === 'down') this.downSince.set(c.camera, this.downSince.get(c.camera) ?? at);
      else this.downSince.delete(c.camera);
    }
    const down = state.cameras.filter(
      (c) => c.state === 'down' && at - (this.downSince.get(c.camera) ?? at) >= (this.opts.downForMs ?? 5000),
    );
    if (down.length > 0) {
      const names = down.map((c) => c.camera);
      alarms.raise({
        deviceId,
        device,
        kind: 'camera_down',
        severity: 'critical',
        title: down.length === 1 ? `Camera ${names[0]} down` : `${down.length} cameras down`,
        detail:
          `${list(names)} ${down.length === 1 ? 'has' : 'have'} no recording process on ${device}: nothing of ` +
          `${down.length === 1 ? 'it' : 'them'} is recorded. The recorder restarts a crashed camera by itself; if it ` +
          'stays down, look at the vms-recorder log on the Service tab, or restart the service.',
        evidence: down.map((c) => `${c.camera}: no process; newest segment ${c.newest?.name ?? 'none'}`),
        recovery: false,
        occurrence: names.join(','),
      });
    } else alarms.resolve(deviceId, 'camera_down', 'Tally: every camera has its process again');

    const late = state.cameras.filter((c) => c.late);
    if (late.length > 0) {
      const names = late.map((c) => c.camera);
      alarms.raise({
        deviceId,
        device,
        kind: 'segment_late',
        severity: 'critical',
        title: late.length === 1 ? `No new segment from ${names[0]}` : `${late.length} cameras late`,
        detail:
          `${list(names)} on ${device} made no new recording segment on schedule: ` +
          late
            .map(
              (c) =>
                `${c.camera}'s newest is ${c.newestAgeS === null ? 'missing' : `${Math.round(c.newestAgeS)} s old`} (a new one every ${c.segmentS} s)` +
                (c.state === 'stalled' && c.pids.length > 0 ? ', its process is alive but not writing' : ''),
            )
            .join('; ') +
          '. Recording has a gap from there. Restart the service if it does not catch up.',
        evidence: late.map((c) => `${c.camera}: ${c.newest?.name ?? 'no segment'} (${c.state})`),
        recovery: false,
        occurrence: names.join(','),
      });
    } else alarms.resolve(deviceId, 'segment_late', 'Tally: every camera makes segments on schedule again');

    // Outputs: only where the camera's process runs (a camera down is already its own alarm).
    for (const c of state.cameras) {
      const checked = c.live.checkedAt;
      const seen = this.outputDowns.get(c.camera);
      if (checked === null || seen?.checkedAt === checked) continue;
      const downs = c.live.state === 'down' && c.pids.length > 0 ? (seen?.downs ?? 0) + 1 : 0;
      this.outputDowns.set(c.camera, { checkedAt: checked, downs });
    }
    const outputsDown = state.cameras.filter(
      (c) =>
        c.live.state === 'down' && c.pids.length > 0 && (this.outputDowns.get(c.camera)?.downs ?? 0) >= 2,
    );
    if (outputsDown.length > 0) {
      const names = outputsDown.map((c) => c.camera);
      alarms.raise({
        deviceId,
        device,
        kind: 'output_down',
        severity: 'warning',
        title:
          outputsDown.length === 1
            ? `Live output of ${names[0]} down`
            : `${outputsDown.length} live outputs down`,
        detail:
          `The live RTSP output of ${list(names)} on ${device} does not answer, while ${outputsDown.length === 1 ? 'its' : 'their'} ` +
          'recording goes on: viewers see nothing live. Restart the service to bring the outputs back.',
        evidence: outputsDown.map((c) => `${c.live.url}: ${c.live.detail}`),
        recovery: false,
        occurrence: names.join(','),
      });
    } else if (state.cameras.every((c) => c.live.state !== 'down' || c.pids.length === 0))
      alarms.resolve(deviceId, 'output_down', 'Tally: the live outputs answer again');

    const windowMs = this.opts.cpuWindowMs ?? 30_000;
    const budget = state.budgetPerCameraPercent;
    const over = state.cameras
      .map((c) => {
        const readings = (cpuHistory.get(c.camera) ?? []).filter(([t]) => at - t <= windowMs);
        const spans = readings.length >= 3 && at - (readings[0]?.[0] ?? at) >= windowMs * 0.8;
        const avg = readings.reduce((a, [, v]) => a + v, 0) / Math.max(1, readings.length);
        return { camera: c.camera, avg, spans };
      })
      .filter((c) => c.spans && c.avg > budget);
    if (over.length > 0)
      alarms.raise({
        deviceId,
        device,
        kind: 'cpu_over_budget',
        severity: 'warning',
        title: 'CPU over budget',
        detail:
          `On ${device}, ${over.map((c) => `${c.camera} uses ${c.avg.toFixed(1)} %`).join(', ')} of one core on average over ` +
          `${Math.round(windowMs / 1000)} s, above the budget of ${budget} % a camera (seed 004: 23.4 % in production). ` +
          'A camera that falls back to software decoding or encoding costs more; check the service log.',
        evidence: over.map((c) => `${c.camera}: ${c.avg.toFixed(1)} % (budget ${budget} %)`),
        recovery: false,
        occurrence: over.map((c) => c.camera).join(','),
      });
    else if (
      state.cameras.every((c) => {
        const r = cpuHistory.get(c.camera)?.at(-1);
        return !r || r[1] <= budget;
      })
    )
      alarms.resolve(deviceId, 'cpu_over_budget', 'Tally: every camera is within its CPU budget again');
  }
}
