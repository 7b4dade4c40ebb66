import type { Client } from '../lib/client.js';

export interface TerminalSink {
  data(data: string): void;
  exit(code: number | null, reason: string): void;
  /** Output dropped before the view attached; still to be acknowledged, or the core would wait for it forever. */
  discarded(chars: number): void;
}

interface Early {
  at: number;
  chunks: string[];
  size: number;
  dropped: number;
  exit?: { code: number | null; reason: string };
}

/** Keep output that arrives before its view attached (the reply to terminal.open can trail the first data). */
const EARLY_MAX_CHARS = 1024 * 1024;
const EARLY_MAX_AGE_MS = 10_000;

/**
 * One subscription to terminal events for the whole renderer, handed out by terminal id.
 * Output for an id nobody has attached yet is held briefly, so nothing from the first prompt is lost.
 */
export class TerminalRouter {
  private readonly sinks = new Map<string, TerminalSink>();
  private readonly early = new Map<string, Early>();
  private readonly done = new Set<string>();

  constructor(client: Pick<Client, 'on'>) {
    client.on('terminal.data', ({ terminalId, data }) => {
      const sink = this.sinks.get(terminalId);
      if (sink) sink.data(data);
      else if (!this.done.has(terminalId)) this.holdData(terminalId, data);
    });
    client.on('terminal.exit', ({ terminalId, code, reason }) => {
      const sink = this.sinks.get(terminalId);
      if (sink) sink.exit(code, reason);
      else if (!this.done.has(terminalId)) this.hold(terminalId).exit = { code, reason };
    });
  }

  private hold(id: string): Early {
    const now = Date.now();
    for (const [key, entry] of this.early) if (now - entry.at > EARLY_MAX_AGE_MS) this.early.delete(key);
    let entry = this.early.get(id);
    if (!entry) this.early.set(id, (entry = { at: now, chunks: [], size: 0, dropped: 0 }));
    return entry;
  }

  private holdData(id: string, data: string): void {
    const entry = this.hold(id);
    entry.chunks.push(data);
    entry.size += data.length;
    while (entry.size > EARLY_MAX_CHARS && entry.chunks.length > 1) {
      const n = entry.chunks.shift()?.length ?? 0;
      entry.size -= n;
      entry.dropped += n;
    }
  }

  attach(id: string, sink: TerminalSink): void {
    this.sinks.set(id, sink);
    const entry = this.early.get(id);
    this.early.delete(id);
    if (!entry) return;
    if (entry.dropped > 0) sink.discarded(entry.dropped);
    for (const chunk of entry.chunks) sink.data(chunk);
    if (entry.exit) sink.exit(entry.exit.code, entry.exit.reason);
  }

  detach(id: string): void {
    this.sinks.delete(id);
    this.early.delete(id);
    this.done.add(id);
  }
}
