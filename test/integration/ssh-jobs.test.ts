import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sh } from '../../src-main/core/device/quote.js';
import { RemoteJobs } from '../../src-main/core/device/remote-jobs.js';
import {
  connectAndWait,
  connectedConsole,
  endpointFor,
  identity,
  type SshConsole,
} from '../fixtures/ssh-console.js';
import { startSshd, type SshdHandle } from '../fixtures/sshd.js';

let server: SshdHandle;
let con: SshConsole;
let jobs: RemoteJobs;
let id: string;

beforeAll(async () => {
  server = await startSshd({ user: 'linaro' });
  ({ con, id } = await connectedConsole(server));
  jobs = new RemoteJobs(con.manager);
});
afterAll(async () => {
  await con?.close();
  await server?.stop();
});

/** `count` numbered lines, one every `everyS` seconds. */
function numbered(count: number, everyS: number) {
  return sh`i=1; while [ $i -le ${count} ]; do echo "line $i"; i=$((i+1)); sleep ${everyS}; done`;
}

function expectNumbered(text: string, count: number): void {
  expect(text.split('\n').filter(Boolean)).toEqual(Array.from({ length: count }, (_, i) => `line ${i + 1}`));
}

describe('remote jobs', () => {
  it('runs detached and returns all output and the exit code', async () => {
    const { jobId } = await jobs.start(id, sh`echo one; echo two >&2; exit 3`);
    let out = '';
    const { exitCode } = await jobs.attach(id, jobId, (c) => (out += c));
    expect(exitCode).toBe(3);
    expect(out).toBe('one\ntwo\n');
    expect(await jobs.status(id, jobId)).toEqual({ state: 'done', exitCode: 3 });
  });

  it('streams output while the job runs, when attached right after start', async () => {
    const { jobId } = await jobs.start(id, numbered(20, 0.1));
    const arrivals: number[] = [];
    let out = '';
    await jobs.attach(id, jobId, (c) => {
      arrivals.push(Date.now());
      out += c;
    });
    const ended = Date.now();
    expectNumbered(out, 20);
    // ~2 s of output: the first chunk must come long before the end, not all at once when the job finished.
    expect(arrivals.length).toBeGreaterThan(2);
    expect(ended - (arrivals[0] ?? ended)).toBeGreaterThan(1000);
  });

  it('status is running, then done; a job reattached after it ended gives everything once', async () => {
    const { jobId } = await jobs.start(id, numbered(5, 0.2));
    expect((await jobs.status(id, jobId)).state).toBe('running');
    await new Promise((r) => setTimeout(r, 2000));
    let out = '';
    expect((await jobs.attach(id, jobId, (c) => (out += c))).exitCode).toBe(0);
    expectNumbered(out, 5);
    let again = '';
    await jobs.attach(id, jobId, (c) => (again += c), { fromOffset: 'line 1\n'.length });
    expect(again).toBe(out.slice('line 1\n'.length));
  });

  it('keeps running when the console disconnects, and is found again after reconnecting', async () => {
    const { jobId } = await jobs.start(id, numbered(15, 0.1));
    await con.manager.disconnect(id);
    await new Promise((r) => setTimeout(r, 500));
    const endpoint = endpointFor(server, identity(server.identityFile), { id });
    await connectAndWait(con, endpoint);
    let out = '';
    expect((await jobs.attach(id, jobId, (c) => (out += c))).exitCode).toBe(0);
    expectNumbered(out, 15);
  });

  it('keeps multi-byte characters whole across chunks', async () => {
    const { jobId } = await jobs.start(id, sh`i=0; while [ $i -lt 2000 ]; do printf 'é🎥'; i=$((i+1)); done`);
    let out = '';
    await jobs.attach(id, jobId, (c) => (out += c));
    expect(out).toBe('é🎥'.repeat(2000));
  });

  it('refuses a second start with the same id and reports an unknown job', async () => {
    const { jobId } = await jobs.start(id, sh`sleep 1`, { jobId: `fixed-${Date.now()}` });
    await expect(jobs.start(id, sh`echo clobber`, { jobId })).rejects.toThrow(/Could not start/);
    await expect(jobs.attach(id, 'no-such-job-here', () => undefined)).rejects.toMatchObject({
      code: 'not_found',
    });
    expect(await jobs.status(id, 'no-such-job-here')).toEqual({ state: 'unknown' });
  });
});
