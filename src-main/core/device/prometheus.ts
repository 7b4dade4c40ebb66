/**
 * Prometheus text (a box's /metrics page) read through `parse-prometheus-text-format`, flattened to one sample per
 * series. The library keeps values as strings and is lenient with lines it does not understand, so every name and
 * value is checked here: anything that is not a metric line means the page is not Prometheus text.
 */
import parsePrometheusTextFormat, { type PromFamily } from 'parse-prometheus-text-format';
import type { MetricSample } from '../../contract/index.js';

export type MetricsRead = { ok: true; samples: MetricSample[] } | { ok: false; problem: string };

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SPECIAL: Record<string, NonNullable<MetricSample['special']>> = {
  '+Inf': '+Inf',
  Inf: '+Inf',
  '-Inf': '-Inf',
  NaN: 'NaN',
};

class NotPrometheus extends Error {}

function sample(name: string, labels: Record<string, string>, raw: string | undefined): MetricSample {
  const text = (raw ?? '').trim();
  const special = SPECIAL[text];
  if (special) return { name, labels, value: null, special };
  const value = Number(text);
  if (text === '' || !Number.isFinite(value))
    throw new NotPrometheus(`${name} has the value ${JSON.stringify(text.slice(0, 40))}`);
  return { name, labels, value };
}

function flatten(family: PromFamily): MetricSample[] {
  if (!NAME.test(family.name))
    throw new NotPrometheus(`${JSON.stringify(family.name.slice(0, 40))} is not a metric name`);
  const out: MetricSample[] = [];
  for (const m of family.metrics) {
    const labels = m.labels ?? {};
    if (family.type === 'HISTOGRAM' || family.type === 'SUMMARY') {
      const parts = family.type === 'HISTOGRAM' ? m.buckets : m.quantiles;
      const key = family.type === 'HISTOGRAM' ? 'le' : 'quantile';
      const series = family.type === 'HISTOGRAM' ? `${family.name}_bucket` : family.name;
      for (const [bound, v] of Object.entries(parts ?? {}))
        out.push(sample(series, { ...labels, [key]: bound }, v));
      if (m.sum !== undefined) out.push(sample(`${family.name}_sum`, labels, m.sum));
      if (m.count !== undefined) out.push(sample(`${family.name}_count`, labels, m.count));
    } else out.push(sample(family.name, labels, m.value));
  }
  return out;
}

/** The samples of a /metrics page, or why it is not Prometheus text. */
export function parseMetrics(text: string): MetricsRead {
  const why = (detail: string): MetricsRead => ({
    ok: false,
    problem: `the /metrics page is not Prometheus text (${detail})`,
  });
  let families: PromFamily[];
  try {
    families = parsePrometheusTextFormat(text);
  } catch (err) {
    return why(err instanceof Error ? err.message : String(err));
  }
  try {
    const samples = families.flatMap(flatten);
    const lines = text.split('\n').map((l) => l.trim());
    if (samples.length === 0 && lines.some((l) => l !== '' && !l.startsWith('#')))
      return why('no metric line in it');
    return { ok: true, samples };
  } catch (err) {
    return why(err instanceof NotPrometheus ? err.message : String(err));
  }
}

/** The value of a series (the first with these labels, or with any labels); null when absent or not a number. */
export function metricValue(
  samples: readonly MetricSample[],
  name: string,
  labels: Record<string, string> = {},
): number | null {
  const found = samples.find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return found?.value ?? null;
}

/** The sum of every series of a metric (a counter split by label); null when it has none. */
export function metricTotal(samples: readonly MetricSample[], name: string): number | null {
  const values = samples.filter((s) => s.name === name && s.value !== null).map((s) => s.value as number);
  return values.length > 0 ? values.reduce((a, b) => a + b, 0) : null;
}
