/**
 * A transcoder's alarm rules, fed one health sample at a time: health failing or silent for a while (critical),
 * a required field such as vaapi_available false (critical), FFmpeg restarts rising (warning). Each is closed by
 * Tally when its cause clears.
 */
import type { HealthSample } from '../../contract/index.js';
import type { AlarmSink } from '../device/kind-alarms.js';

export interface HealthAlarmOptions {
  alarms: AlarmSink;
  deviceId: string;
  deviceName: () => string;
  healthUrl: string;
  /** Failing or silent this long before it is an alarm (default 6 s). */
  failForMs?: number;
  /** FFmpeg restarts quiet this long before their alarm is closed (default 60 s). */
  restartsQuietMs?: number;
}

export class HealthAlarms {
  private badSince: number | null = null;
  private restarts: number | null = null;
  private restartsRaisedAt: number | null = null;

  constructor(private readonly opts: HealthAlarmOptions) {}

  /** A new watch (after the link came back): restarts are counted afresh, failing time starts again. */
  reset(): void {
    this.badSince = null;
    this.restarts = null;
  }

  check(s: HealthSample): void {
    const { alarms, deviceId } = this.opts;
    const device = this.opts.deviceName();
    const httpBad = !s.reachable || s.httpStatus === null || s.httpStatus < 200 || s.httpStatus >= 300;
    if (httpBad) {
      this.badSince ??= s.at;
      if (s.at - this.badSince >= (this.opts.failForMs ?? 6000))
        alarms.raise({
          deviceId,
          device,
          kind: 'health_failing',
          severity: 'critical',
          title: s.reachable ? 'Health failing' : 'Health endpoint silent',
          detail:
            `${device}: ${s.problem ?? 'the health endpoint fails.'} Failing since ${new Date(this.badSince).toTimeString().slice(0, 8)}. ` +
            'Transcodes from this box may have stopped: check the container on the Service tab and its log.',
          evidence: [
            `${this.opts.healthUrl}: ${s.httpStatus === null ? 'no answer' : `HTTP ${s.httpStatus}`}`,
            ...Object.entries(s.fields)
              .slice(0, 8)
              .map(([k, v]) => `${k}: ${String(v)}`),
          ],
          recovery: false,
          occurrence: `since-${this.badSince}`,
        });
    } else {
      this.badSince = null;
      alarms.resolve(deviceId, 'health_failing', 'Tally: the health endpoint answers healthy again');
    }

    // A required field can only be judged when the health JSON was read.
    const judged = s.reachable && Object.keys(s.fields).length > 0;
    if (judged && s.failing.length > 0)
      alarms.raise({
        deviceId,
        device,
        kind: 'vaapi_unavailable',
        severity: 'critical',
        title: `${s.failing.join(', ')} false: no GPU encoding`,
        detail:
          `The health endpoint of ${device} says ${s.failing.map((f) => `${f} = ${String(s.fields[f])}`).join(', ')}: ` +
          'the GPU encoder cannot be used, so transcodes fail or fall back to the CPU. Check /dev/dri in the container and ' +
          'the GPU driver on the box, or go back to the known-good image.',
        evidence: [`${this.opts.healthUrl}: HTTP ${s.httpStatus ?? '—'}`, ...(s.problem ? [s.problem] : [])],
        recovery: false,
        occurrence: s.failing.join(','),
      });
    else if (judged)
      alarms.resolve(deviceId, 'vaapi_unavailable', 'Tally: the health endpoint reports VAAPI again');

    if (s.ffmpegRestarts !== null) {
      if (this.restarts !== null && s.ffmpegRestarts > this.restarts) {
        this.restartsRaisedAt = s.at;
        alarms.raise({
          deviceId,
          device,
          kind: 'service_restarts',
          severity: 'warning',
          title: 'FFmpeg restarted',
          detail:
            `The transcoder on ${device} restarted FFmpeg ${s.ffmpegRestarts - this.restarts === 1 ? 'once' : `${s.ffmpegRestarts - this.restarts} times`} ` +
            `(${s.ffmpegRestarts} since the service started). A viewer sees a stall each time; the service log shows why.`,
          evidence: [`ffmpeg restarts: ${s.ffmpegRestarts}`],
          recovery: false,
          occurrence: `ffmpeg-${s.ffmpegRestarts}`,
        });
      } else if (
        this.restartsRaisedAt !== null &&
        s.at - this.restartsRaisedAt >= (this.opts.restartsQuietMs ?? 60_000)
      ) {
        this.restartsRaisedAt = null;
        alarms.resolve(deviceId, 'service_restarts', 'Tally: FFmpeg has run without restarting since');
      }
      this.restarts = s.ffmpegRestarts;
    }
  }
}
