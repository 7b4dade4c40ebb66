/**
 * One open conversation with the mixer agent on a device: `tally_mixer.py attach` over an SSH exec channel that
 * stays open, relaying JSON lines to and from the agent's socket. Requests are matched to replies by id; pushed
 * state goes to `onState`. When the channel ends (the link dropped, the agent stopped), every pending request is
 * rejected with `LinkLost`: the caller cannot know whether the device acted on it.
 */
import { AgentEvent, AgentReply, type AgentRequest, type AgentState } from './agent-protocol.js';
import type { ShellCommand } from '../device/quote.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';
import type { ExecInput } from '../ssh/types.js';

export class LinkLost extends Error {}

type Body = AgentRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

interface Pending {
  resolve(reply: AgentReply): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class AgentLink {
  /** Resolves when the channel ended, with the agent bridge's exit code (null when the link dropped). */
  readonly ended: Promise<number | null>;
  private input: ExecInput | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private buffer = '';
  private closed = false;
  private readonly opened: Promise<void>;

  constructor(
    connections: ConnectionManager,
    deviceId: string,
    command: ShellCommand,
    private readonly onState: (state: AgentState) => void,
  ) {
    let opened: () => void = () => undefined;
    this.opened = new Promise((r) => (opened = r));
    this.ended = connections
      .exec(deviceId, command, {
        input: (channel) => {
          this.input = channel;
          opened();
        },
        onStdout: (chunk) => this.read(chunk.toString('utf8')),
        maxBufferBytes: 64 * 1024,
      })
      .then(
        (r) => r.code,
        () => null,
      )
      .finally(() => {
        this.closed = true;
        opened();
        for (const [id, p] of this.pending) {
          clearTimeout(p.timer);
          p.reject(new LinkLost('The link to the mixer ended before it answered.'));
          this.pending.delete(id);
        }
      });
  }

  get open(): boolean {
    return !this.closed;
  }

  async request(body: Body, timeoutMs: number): Promise<AgentReply> {
    await this.opened;
    if (this.closed || !this.input) throw new LinkLost('The link to the mixer is closed.');
    const id = this.nextId++;
    const input = this.input;
    return new Promise<AgentReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new LinkLost(`The mixer did not answer within ${timeoutMs} ms.`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      input.write(`${JSON.stringify({ ...body, id })}\n`);
    });
  }

  close(): void {
    this.input?.end();
  }

  private read(text: string): void {
    this.buffer += text;
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line) this.line(line);
    }
  }

  private line(line: string): void {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return;
    }
    const event = AgentEvent.safeParse(value);
    if (event.success) {
      this.onState(event.data.state);
      return;
    }
    const reply = AgentReply.safeParse(value);
    if (!reply.success) {
      // An answer this console cannot read still ends its request, with why (an agent of another version?).
      const id = (value as { id?: unknown } | null)?.id;
      const pending = typeof id === 'number' ? this.pending.get(id) : undefined;
      if (pending) {
        clearTimeout(pending.timer);
        this.pending.delete(id as number);
        pending.reject(
          new Error(`The mixer's answer could not be read: ${reply.error.issues[0]?.message ?? 'invalid'}`),
        );
      }
      return;
    }
    const pending = this.pending.get(reply.data.id);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pending.delete(reply.data.id);
    if (reply.data.state) this.onState(reply.data.state);
    pending.resolve(reply.data);
  }
}
