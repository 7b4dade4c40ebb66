/**
 * A device's sample history in fixed memory: the figures the charts and the CPU budget read back (VPU sessions,
 * CPU, temperature) sit in preallocated typed arrays, and only the newest sample is kept whole. With a fleet of
 * 32 boxes at 1 Hz, a list of whole samples would keep growing the console for the ring's full 15 minutes.
 * Older entries come back as samples without per-process, zone, memory or load detail.
 */
import { slimSample, type MonitorSample } from '../../contract/index.js';

type Field = 'at' | 'total' | 'encoders' | 'decoders' | 'cpu' | 'temperature';

const orNaN = (v: number | null): number => (v === null ? Number.NaN : v);
const orNull = (v: number | undefined): number | null => (v === undefined || Number.isNaN(v) ? null : v);

export class SampleHistory {
  private readonly columns: Record<Field, Float64Array>;
  /** Index of the next write. */
  private next = 0;
  private count = 0;
  private newest: MonitorSample | undefined;

  constructor(readonly capacity: number) {
    const column = () => new Float64Array(capacity);
    this.columns = {
      at: column(),
      total: column(),
      encoders: column(),
      decoders: column(),
      cpu: column(),
      temperature: column(),
    };
  }

  push(sample: MonitorSample): void {
    const i = this.next;
    const c = this.columns;
    c.at[i] = sample.at;
    c.total[i] = orNaN(sample.vpu.total);
    c.encoders[i] = orNaN(sample.vpu.encoders);
    c.decoders[i] = orNaN(sample.vpu.decoders);
    c.cpu[i] = orNaN(sample.cpuPercent);
    c.temperature[i] = orNaN(sample.temperatureC);
    this.next = (i + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
    this.newest = sample;
  }

  last(): MonitorSample | undefined {
    return this.newest;
  }

  get size(): number {
    return this.count;
  }

  /** Oldest first; the newest one whole. */
  toArray(): MonitorSample[] {
    return this.since(Number.NEGATIVE_INFINITY);
  }

  /** The samples that arrived at or after `at`, oldest first. */
  since(at: number): MonitorSample[] {
    const out: MonitorSample[] = [];
    const first = (this.next - this.count + this.capacity) % this.capacity;
    for (let k = 0; k < this.count; k++) {
      const i = (first + k) % this.capacity;
      const when = this.columns.at[i] ?? 0;
      if (when < at) continue;
      out.push(k === this.count - 1 && this.newest ? this.newest : this.slim(i));
    }
    return out;
  }

  private slim(i: number): MonitorSample {
    const c = this.columns;
    return slimSample({
      at: c.at[i] ?? 0,
      vpu: {
        source: this.newest?.vpu.source ?? null,
        total: orNull(c.total[i]),
        encoders: orNull(c.encoders[i]),
        decoders: orNull(c.decoders[i]),
        byProcess: [],
      },
      cpuPercent: orNull(c.cpu[i]),
      cores: null,
      topProcesses: [],
      memory: null,
      temperatureC: orNull(c.temperature[i]),
      zones: [],
      load: null,
    });
  }
}
