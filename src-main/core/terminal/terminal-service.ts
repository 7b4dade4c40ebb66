import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import type { ClientChannel } from 'ssh2';
import { ContractError, type TerminalInfo, type TerminalTarget } from '../../contract/index.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';
import { FlowControl } from './flow-control.js';

interface TerminalSession {
  id: string;
  owner: string;
  title: string;
  flow: FlowControl;
  write(data: string): void;
  resize(cols: number, rows: number): void;
  close(): void;
}

export interface TerminalEvents {
  data(owner: string, terminalId: string, data: string): void;
  exit(owner: string, terminalId: string, code: number | null, reason: string): void;
}

type PtyModule = typeof import('node-pty');

/** Terminals on a device (a PTY shell over its SSH connection) or on this laptop (node-pty). */
export class TerminalService {
  private readonly sessions = new Map<string, TerminalSession>();
  private pty: PtyModule | undefined;

  constructor(
    private readonly connections: ConnectionManager,
    private readonly deviceName: (id: string) => string,
    private readonly events: TerminalEvents,
  ) {}

  async open(owner: string, target: TerminalTarget, cols: number, rows: number): Promise<TerminalInfo> {
    const id = randomUUID();
    const session =
      target.kind === 'device'
        ? await this.openRemote(id, owner, target.deviceId, cols, rows)
        : await this.openLocal(id, owner, cols, rows);
    this.sessions.set(id, session);
    return { terminalId: id, title: session.title };
  }

  private finish(session: TerminalSession, code: number | null, reason: string): void {
    if (!this.sessions.has(session.id)) return;
    session.flow.drain();
    session.flow.dispose();
    this.sessions.delete(session.id);
    this.events.exit(session.owner, session.id, code, reason);
  }

  private async openRemote(
    id: string,
    owner: string,
    deviceId: string,
    cols: number,
    rows: number,
  ): Promise<TerminalSession> {
    const name = this.deviceName(deviceId);
    const channel: ClientChannel = await this.connections.shell(deviceId, { cols, rows });
    const decoder = new StringDecoder('utf8');
    const session: TerminalSession = {
      id,
      owner,
      title: name,
      flow: new FlowControl({ pause: () => channel.pause(), resume: () => channel.resume() }, (data) =>
        this.events.data(owner, id, data),
      ),
      write: (data) => channel.write(data),
      resize: (c, r) => channel.setWindow(r, c, 0, 0),
      close: () => channel.close(),
    };
    const onData = (chunk: Buffer) => session.flow.push(decoder.write(chunk));
    channel.on('data', onData);
    channel.stderr.on('data', onData);
    let code: number | null = null;
    channel.on('exit', (c: number | null) => {
      code = c;
    });
    channel.on('close', () =>
      this.finish(
        session,
        code,
        code === null ? `The connection to ${name} was lost.` : `The shell on ${name} exited (${code}).`,
      ),
    );
    return session;
  }

  private async openLocal(id: string, owner: string, cols: number, rows: number): Promise<TerminalSession> {
    this.pty ??= await import('node-pty');
    const shell = process.env['SHELL'] || '/bin/bash';
    const proc = this.pty.spawn(shell, [], {
      name: 'xterm-256color',
      cols,
      rows,
      cwd: os.homedir(),
      env: { ...process.env, TERM: 'xterm-256color' } as Record<string, string>,
    });
    const session: TerminalSession = {
      id,
      owner,
      title: `local: ${shell.split('/').pop() ?? shell}`,
      flow: new FlowControl({ pause: () => proc.pause(), resume: () => proc.resume() }, (data) =>
        this.events.data(owner, id, data),
      ),
      write: (data) => proc.write(data),
      resize: (c, r) => proc.resize(c, r),
      close: () => proc.kill(),
    };
    proc.onData((data) => session.flow.push(data));
    proc.onExit(({ exitCode }) => this.finish(session, exitCode, `The local shell exited (${exitCode}).`));
    return session;
  }

  private get(owner: string, terminalId: string): TerminalSession {
    const session = this.sessions.get(terminalId);
    if (!session || session.owner !== owner)
      throw new ContractError('not_found', 'That terminal has closed.');
    return session;
  }

  input(owner: string, terminalId: string, data: string): void {
    this.get(owner, terminalId).write(data);
  }

  resize(owner: string, terminalId: string, cols: number, rows: number): void {
    this.get(owner, terminalId).resize(cols, rows);
  }

  ack(owner: string, terminalId: string, bytes: number): void {
    // A late ack for a terminal that already closed is harmless; ignore it rather than error.
    const session = this.sessions.get(terminalId);
    if (session?.owner === owner) session.flow.ack(bytes);
  }

  close(owner: string, terminalId: string): void {
    const session = this.get(owner, terminalId);
    session.close();
    this.finish(session, null, 'Closed.');
  }

  /** A window or browser tab went away: close what it opened. */
  releaseOwner(owner: string): void {
    for (const session of [...this.sessions.values()])
      if (session.owner === owner) {
        session.close();
        this.finish(session, null, 'Closed.');
      }
  }

  closeAll(): void {
    for (const session of [...this.sessions.values()]) session.close();
    this.sessions.clear();
  }
}
