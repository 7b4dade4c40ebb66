import {
  backoffDelay,
  ContractError,
  type CommandInput,
  type CommandName,
  type CommandResult,
  type EventName,
  type EventPayload,
  type Reply,
} from '../../src-main/contract/index.js';

/** How a reply and events reach the renderer: Electron IPC through the preload, or a WebSocket in web mode. */
export interface Transport {
  invoke(name: string, input: unknown): Promise<Reply>;
  onEvent(listener: (name: string, payload: unknown) => void): () => void;
  /** 'open' while requests can flow; the web transport reconnects by itself. */
  onState?(listener: (state: 'open' | 'closed') => void): () => void;
}

/** What the preload exposes on `window.tally` through contextBridge. */
export interface PreloadBridge {
  invoke(name: string, input: unknown): Promise<Reply>;
  onEvent(listener: (name: string, payload: unknown) => void): () => void;
}

declare global {
  interface Window {
    tally?: PreloadBridge;
  }
}

type Listener = (payload: never) => void;

export class Client {
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(private readonly transport: Transport) {
    transport.onEvent((name, payload) => {
      for (const listener of this.listeners.get(name) ?? []) (listener as (p: unknown) => void)(payload);
    });
  }

  async invoke<N extends CommandName>(name: N, input: CommandInput<N>): Promise<CommandResult<N>> {
    const reply = await this.transport.invoke(name, input);
    if (!reply.ok) throw ContractError.from(reply.error);
    return reply.result as CommandResult<N>;
  }

  on<N extends EventName>(name: N, listener: (payload: EventPayload<N>) => void): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener as Listener);
    return () => set.delete(listener as Listener);
  }

  onConnectionState(listener: (state: 'open' | 'closed') => void): () => void {
    return this.transport.onState?.(listener) ?? (() => undefined);
  }
}

class WebSocketTransport implements Transport {
  private socket: WebSocket | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, (reply: Reply) => void>();
  private readonly eventListeners = new Set<(name: string, payload: unknown) => void>();
  private readonly stateListeners = new Set<(state: 'open' | 'closed') => void>();
  private opened: Promise<WebSocket> | undefined;
  /** Failed opens in a row, for the retry delay (250 ms doubling to 5 s). */
  private failures = 0;

  constructor(private readonly url: string) {}

  private open(): Promise<WebSocket> {
    if (this.opened) return this.opened;
    this.opened = new Promise((resolve, reject) => {
      const socket = new WebSocket(this.url);
      socket.onopen = () => {
        this.socket = socket;
        this.failures = 0;
        this.stateListeners.forEach((l) => l('open'));
        resolve(socket);
      };
      socket.onmessage = (msg) => this.receive(String(msg.data));
      socket.onclose = () => {
        this.socket = undefined;
        this.opened = undefined;
        for (const [id, settle] of this.pending) {
          settle({
            ok: false,
            error: { code: 'unavailable', message: 'Lost the connection to the Tally core. Retrying…' },
          });
          this.pending.delete(id);
        }
        this.stateListeners.forEach((l) => l('closed'));
        reject(new Error('closed'));
        this.failures++;
        const delay = backoffDelay(this.failures, { baseMs: 250, maxMs: 5000, jitter: 0.2 });
        setTimeout(() => void this.open().catch(() => undefined), delay);
      };
    });
    return this.opened;
  }

  private receive(text: string): void {
    const msg = JSON.parse(text) as { id?: number; ok?: boolean; event?: string; payload?: unknown };
    if (typeof msg.event === 'string') {
      this.eventListeners.forEach((l) => l(msg.event as string, msg.payload));
      return;
    }
    if (typeof msg.id === 'number') {
      const settle = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      settle?.(msg as unknown as Reply);
    }
  }

  async invoke(name: string, input: unknown): Promise<Reply> {
    let socket: WebSocket;
    try {
      socket = await this.open();
    } catch {
      return {
        ok: false,
        error: {
          code: 'unavailable',
          message: 'The Tally core is not reachable. Is `tally web` still running?',
        },
      };
    }
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      socket.send(JSON.stringify({ id, name, input }));
    });
  }

  onEvent(listener: (name: string, payload: unknown) => void): () => void {
    this.eventListeners.add(listener);
    void this.open().catch(() => undefined);
    return () => this.eventListeners.delete(listener);
  }

  onState(listener: (state: 'open' | 'closed') => void): () => void {
    this.stateListeners.add(listener);
    if (this.socket) listener('open');
    return () => this.stateListeners.delete(listener);
  }
}

/** Picks the transport: the Electron preload bridge when present, else the web mode WebSocket. */
export function createClient(): Client {
  if (window.tally) {
    const bridge = window.tally;
    return new Client({ invoke: (n, i) => bridge.invoke(n, i), onEvent: (l) => bridge.onEvent(l) });
  }
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return new Client(new WebSocketTransport(`${scheme}//${location.host}/ws`));
}
