/**
 * What the fleet benchmark watches from outside the console: its main process in /proc (CPU and RSS), and the
 * device statuses it sends to every web client (a WebSocket like the page's own), timestamped on arrival.
 */
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';

const CLK_TCK = 100;

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  return Number(kib ?? 0) * 1024;
}

export interface ProcessReading {
  /** Seconds since the watch started. */
  t: number;
  /** Percent of one core over the interval that ends here. */
  cpuPercent: number;
  rssBytes: number;
}

/** Read a process's CPU and RSS every `everyMs` until stopped. */
export function watchProcess(pid: number, everyMs: number): { readings: ProcessReading[]; stop(): void } {
  const readings: ProcessReading[] = [];
  const start = performance.now();
  let lastAt = start;
  let lastTicks = cpuTicks(pid);
  const timer = setInterval(() => {
    const now = performance.now();
    const ticks = cpuTicks(pid);
    readings.push({
      t: (now - start) / 1000,
      cpuPercent: ((ticks - lastTicks) / CLK_TCK / ((now - lastAt) / 1000)) * 100,
      rssBytes: rssBytes(pid),
    });
    lastAt = now;
    lastTicks = ticks;
  }, everyMs);
  return { readings, stop: () => clearInterval(timer) };
}

export interface StatusEvent {
  at: number;
  id: string;
  state: string;
  detail: string;
}

/** A WebSocket client of the web console that keeps every `device.status` event with its arrival time. */
export async function watchStatuses(url: string): Promise<{
  events: StatusEvent[];
  /** Wait until every id in `ids` has had a live status at or after `since`; resolves with the times. */
  allLive(ids: readonly string[], since: number, timeoutMs: number): Promise<Map<string, number>>;
  close(): void;
}> {
  const page = new URL(url);
  const token = page.searchParams.get('token') ?? '';
  const ws = new WebSocket(`ws://${page.host}/ws?token=${encodeURIComponent(token)}`, {
    headers: { Origin: page.origin },
  });
  const events: StatusEvent[] = [];
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as { event?: string; payload?: unknown };
    if (message.event !== 'device.status') return;
    const { id, status } = message.payload as { id: string; status: { state: string; detail: string } };
    events.push({ at: Date.now(), id, state: status.state, detail: status.detail });
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const live = (e: StatusEvent) => e.state === 'connected' || e.state === 'degraded';
  return {
    events,
    allLive: async (ids, since, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const times = new Map<string, number>();
        for (const e of events) if (e.at >= since && live(e) && !times.has(e.id)) times.set(e.id, e.at);
        if (ids.every((id) => times.has(id))) return times;
        if (Date.now() > deadline)
          throw new Error(
            `${ids.length - ids.filter((id) => times.has(id)).length} of ${ids.length} devices not back within ${timeoutMs} ms`,
          );
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    close: () => ws.close(),
  };
}

/** The most events in any window of `windowMs` (how many logins landed in the same second). */
export function busiestWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while ((sorted[hi] ?? 0) - (sorted[lo] ?? 0) >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}
