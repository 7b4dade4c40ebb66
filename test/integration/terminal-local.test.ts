import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Console } from '../../src-main/core/console.js';
import { MemorySecretStore } from '../../src-main/core/store/secrets.js';
import { FLOW } from '../../src-main/core/terminal/flow-control.js';

let core: Console;
const ctx = { owner: 'tab-1' };

beforeAll(async () => {
  // A plain sh: the tester's own login profile (pyenv, prompts) is not what this test is about.
  process.env['SHELL'] = '/bin/sh';
  core = await Console.open({
    dataDir: mkdtempSync(path.join(os.tmpdir(), 'tally-term-')),
    shell: 'web',
    secrets: new MemorySecretStore(),
    version: 't',
    knownHostsFiles: [],
  });
});
afterAll(() => core.close());

async function open(): Promise<string> {
  const r = await core.invoke('terminal.open', { target: { kind: 'local' }, cols: 80, rows: 24 }, ctx);
  if (!r.ok) throw new Error(r.error.message);
  return (r.result as { terminalId: string }).terminalId;
}

function collect(terminalId: string) {
  const state = { text: '', exited: false };
  core.onEvent((name, payload) => {
    const p = payload as { terminalId: string; data?: string };
    if (p.terminalId !== terminalId) return;
    if (name === 'terminal.data') state.text += p.data;
    if (name === 'terminal.exit') state.exited = true;
  });
  return state;
}

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('local terminal (node-pty)', () => {
  it('runs a command and shows its output', async () => {
    const id = await open();
    const out = collect(id);
    await core.invoke('terminal.input', { terminalId: id, data: 'echo tally-$((6*7))\r' }, ctx);
    await until(() => out.text.includes('tally-42'), 'command output');
    await core.invoke('terminal.close', { terminalId: id }, ctx);
  });

  it('holds a flood at the high-water mark until the renderer acknowledges, then delivers the rest', async () => {
    const id = await open();
    const out = collect(id);
    await core.invoke(
      'terminal.input',
      { terminalId: id, data: 'yes tally | head -c 3000000; echo FLOOD-$((40+2))\r' },
      ctx,
    );
    await until(() => out.text.length > FLOW.highWater / 2, 'the first part of the flood');
    // Without acknowledgements the core must stop sending at roughly the high-water mark.
    await new Promise((r) => setTimeout(r, 500));
    const held = out.text.length;
    expect(held).toBeLessThan(FLOW.highWater + 2 * FLOW.maxChunk + 8192);
    expect(out.text).not.toContain('FLOOD-42');
    // Acknowledge as a renderer would, and everything arrives.
    let acked = 0;
    await until(
      () => {
        if (out.text.length > acked) {
          void core.invoke('terminal.ack', { terminalId: id, bytes: out.text.length - acked }, ctx);
          acked = out.text.length;
        }
        return out.text.includes('FLOOD-42');
      },
      'the end of the flood',
      60_000,
    );
    expect(out.text.length).toBeGreaterThan(3_000_000);
    await core.invoke('terminal.close', { terminalId: id }, ctx);
  });

  it('refuses input to a terminal owned by another window', async () => {
    const id = await open();
    const r = await core.invoke('terminal.input', { terminalId: id, data: 'exit\r' }, { owner: 'tab-2' });
    expect(r).toMatchObject({ ok: false, error: { code: 'not_found' } });
    core.release('tab-1');
  });
});
