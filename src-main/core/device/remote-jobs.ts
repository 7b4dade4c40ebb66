import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { ContractError } from '../../contract/index.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';
import { sh, type ShellCommand } from './quote.js';

const JOB_ID = /^[a-z0-9-]{6,64}$/;

/** Where detached jobs live on the device, one folder each (cmd, pid, out, rc), as a shell word. */
export const JOBS_DIR = sh`"$HOME"/.tally/jobs`;

function jobDir(jobId: string): ShellCommand {
  if (!JOB_ID.test(jobId)) throw new ContractError('invalid_input', `Not a job id: ${jobId}`);
  return sh`${JOBS_DIR}/${jobId}`;
}

export interface JobResult {
  exitCode: number;
}

/**
 * Work on the device that must outlive the SSH link: the command runs under `setsid -f`, its output and exit
 * code go to files in ~/.tally/jobs/<id>/, and the console reads them back, resuming by byte offset after a
 * reconnect so nothing is lost or repeated. That dropped-link abort is the failure in seeds/000.
 */
export class RemoteJobs {
  constructor(private readonly connections: ConnectionManager) {}

  async start(
    deviceId: string,
    cmd: ShellCommand,
    opts: { jobId?: string } = {},
  ): Promise<{ jobId: string }> {
    const jobId =
      opts.jobId ??
      `${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '')}-${randomBytes(4).toString('hex')}`;
    const dir = jobDir(jobId);
    // The command text goes in through stdin into a file, so it is never re-parsed by another shell layer.
    // `set -C` makes a second start of the same id fail instead of clobbering a running job.
    const launch = sh`mkdir -p ${dir} && cd ${dir} && (set -C; cat > cmd) && setsid -f sh -c 'echo $$ > pid; sh ./cmd > out 2>&1 < /dev/null; echo $? > rc.tmp; mv rc.tmp rc' > /dev/null 2>&1 < /dev/null`;
    const result = await this.connections.exec(deviceId, launch, {
      stdin: `${cmd.text}\n`,
      timeoutMs: 15_000,
    });
    if (result.code !== 0)
      throw new ContractError(
        'device_error',
        `Could not start the job on the device: ${result.stderr.trim() || `exit ${result.code}`}.`,
      );
    return { jobId };
  }

  /** The newest jobs whose id starts with `prefix` (at most `limit`), oldest first, and whether each has ended. */
  async list(
    deviceId: string,
    prefix: string,
    limit: number,
  ): Promise<{ jobId: string; state: 'running' | 'done' }[]> {
    if (!/^[a-z0-9-]{1,40}$/.test(prefix))
      throw new ContractError('invalid_input', `Not a job prefix: ${prefix}`);
    const r = await this.connections.exec(
      deviceId,
      sh`cd ${JOBS_DIR} 2>/dev/null || exit 0; for d in $(ls -1d ${prefix}* 2>/dev/null | sort | tail -n ${limit}); do if [ -f "$d/rc" ]; then echo "$d done"; else echo "$d running"; fi; done`,
      { timeoutMs: 10_000 },
    );
    return r.stdout
      .split('\n')
      .map((line) => line.trim().split(' '))
      .filter(
        ([id, state]) => id !== undefined && JOB_ID.test(id) && (state === 'done' || state === 'running'),
      )
      .map(([id, state]) => ({ jobId: id as string, state: state as 'running' | 'done' }));
  }

  /** 'running', 'done' with its exit code, or 'unknown' when the device has no such job. */
  async status(
    deviceId: string,
    jobId: string,
  ): Promise<{ state: 'running' | 'done' | 'unknown'; exitCode?: number }> {
    const dir = jobDir(jobId);
    const r = await this.connections.exec(
      deviceId,
      sh`cd ${dir} 2>/dev/null || { echo unknown; exit 0; }; if [ -f rc ]; then echo "done $(cat rc)"; else echo running; fi`,
    );
    const [state, code] = r.stdout.trim().split(' ');
    if (state === 'done') return { state: 'done', exitCode: Number(code) };
    return { state: state === 'running' ? 'running' : 'unknown' };
  }

  /** The job's process-group leader (the shell that writes the exit code) and the other processes of its group. */
  async processes(
    deviceId: string,
    jobId: string,
  ): Promise<{ leader: number; members: number[] } | undefined> {
    const r = await this.connections.exec(
      deviceId,
      sh`p=$(cat ${jobDir(jobId)}/pid 2>/dev/null) && echo "$p" && pgrep -g "$p"`,
      { timeoutMs: 10_000 },
    );
    const [leader, ...group] = r.stdout
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter((n) => Number.isInteger(n) && n > 0);
    return leader === undefined ? undefined : { leader, members: group.filter((q) => q !== leader) };
  }

  /**
   * Signal every process of the job's group except its leader, which must live on to write the exit code: the
   * job then ends the way its command reacts to the signal (gst-launch -e turns INT into EOS).
   */
  async signal(deviceId: string, jobId: string, signal: 'INT' | 'TERM' | 'KILL'): Promise<void> {
    const r = await this.connections.exec(
      deviceId,
      sh`p=$(cat ${jobDir(jobId)}/pid 2>/dev/null) || { echo "the job has no pid file" >&2; exit 3; }
for q in $(pgrep -g "$p"); do [ "$q" = "$p" ] || kill -s ${signal} "$q" 2>/dev/null; done; exit 0`,
      { timeoutMs: 10_000 },
    );
    if (r.code !== 0) throw new ContractError('device_error', r.stderr.trim() || `exit ${r.code}`);
  }

  /**
   * Stream the job's output from byte `fromOffset` until it ends, riding out dropped links: each attempt resumes
   * at the byte count already delivered. Resolves with the exit code.
   */
  async attach(
    deviceId: string,
    jobId: string,
    onOutput: (chunk: string) => void,
    opts: { fromOffset?: number; reconnectWaitMs?: number; signal?: AbortSignal } = {},
  ): Promise<JobResult> {
    const dir = jobDir(jobId);
    let offset = opts.fromOffset ?? 0;
    const decoder = new StringDecoder('utf8');
    for (;;) {
      if (opts.signal?.aborted) throw new ContractError('refused', 'Stopped following the job.');
      const up = await this.connections.ready(deviceId, opts.reconnectWaitMs ?? 10 * 60_000);
      if (!up)
        throw new ContractError(
          'unavailable',
          'The device did not come back; the job continues on it. Reattach later.',
        );
      // Follow `out` until `rc` appears, then one last read from the delivered offset closes the gap exactly.
      const follow = sh`cd ${dir} 2>/dev/null || { echo 'no such job' >&2; exit 97; }
tail -c +${offset + 1} -f out 2>/dev/null & t=$!
while [ ! -f rc ]; do sleep 0.2; done
kill $t 2>/dev/null; wait $t 2>/dev/null
printf 'RC %s\n' "$(cat rc)" >&2`;
      let rcLine = '';
      try {
        const r = await this.connections.exec(deviceId, follow, {
          maxBufferBytes: 0,
          ...(opts.signal ? { signal: opts.signal } : {}),
          onStdout: (chunk) => {
            offset += chunk.length;
            const text = decoder.write(chunk);
            if (text) onOutput(text);
          },
          onStderr: (chunk) => {
            rcLine += chunk.toString('utf8');
          },
        });
        if (r.code === 97) throw new ContractError('not_found', `The device has no job ${jobId}.`);
        const match = /RC (\d+)/.exec(rcLine);
        if (!match) continue;
        // Catch up on bytes written after tail was stopped.
        await this.connections.exec(deviceId, sh`tail -c +${offset + 1} ${dir}/out`, {
          maxBufferBytes: 0,
          onStdout: (chunk) => {
            offset += chunk.length;
            const text = decoder.write(chunk);
            if (text) onOutput(text);
          },
        });
        const tail = decoder.end();
        if (tail) onOutput(tail);
        return { exitCode: Number(match[1]) };
      } catch (err) {
        if (
          err instanceof ContractError &&
          (err.code === 'unavailable' || err.code === 'device_error') &&
          !opts.signal?.aborted
        ) {
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
        throw err;
      }
    }
  }
}
