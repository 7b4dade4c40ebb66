/**
 * Sequential short commands three ways against the same real sshd: a fresh `ssh` process per command, OpenSSH
 * ControlMaster multiplexing, and the console's ConnectionManager.exec over its one persistent connection.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { sh } from '../../src-main/core/device/quote.js';
import {
  connectAndWait,
  createSshConsole,
  endpointFor,
  identity,
  trustKnownHostsLine,
} from '../fixtures/ssh-console.js';
import { opensshClientArgs, startSshd } from '../fixtures/sshd.js';
import { ms, summarize, table, timeSequential, type BenchReport, type Summary } from './stats.js';

const run = promisify(execFile);

export async function sshRoundtrip(opts: { count?: number } = {}): Promise<BenchReport> {
  const count = opts.count ?? 50;
  const server = await startSshd();
  const knownHosts = path.join(server.dir, 'bench_known_hosts');
  await fs.writeFile(knownHosts, `${server.knownHostsLine}\n`);
  const socket = path.join(server.dir, 'cm.sock');
  const { options: common, destination } = opensshClientArgs(server, knownHosts);
  const con = await createSshConsole();
  try {
    const fresh = await timeSequential(count, () => run('ssh', [...common, destination, 'true']));

    await run('ssh', [...common, '-M', '-S', socket, '-o', 'ControlPersist=120', '-f', '-N', destination]);
    let controlMaster: number[];
    try {
      controlMaster = await timeSequential(count, () =>
        run('ssh', [...common, '-S', socket, destination, 'true']),
      );
    } finally {
      await run('ssh', [...common, '-S', socket, '-O', 'exit', destination]).catch(() => undefined);
    }

    await trustKnownHostsLine(con, server, server.knownHostsLine);
    const endpoint = endpointFor(server, identity(server.identityFile), { name: 'bench' });
    await connectAndWait(con, endpoint);
    const consoleExec = await timeSequential(count, async () => {
      const r = await con.manager.exec(endpoint.id, sh`true`);
      if (r.code !== 0) throw new Error(`true exited ${r.code}`);
    });

    const s: Record<string, Summary> = {
      'fresh ssh process': summarize(fresh),
      'OpenSSH ControlMaster': summarize(controlMaster),
      'console exec (ssh2)': summarize(consoleExec),
    };
    const c = s['console exec (ssh2)'] as Summary;
    const f = s['fresh ssh process'] as Summary;
    const m = s['OpenSSH ControlMaster'] as Summary;
    const freshRatio = f.medianMs / c.medianMs;
    const cmRatio = m.medianMs / c.medianMs;
    const verdict = (okay: boolean) => (okay ? 'met' : 'NOT met');
    return {
      title: `SSH round trip: ${count} sequential \`true\` commands`,
      lines: [
        table(
          ['method', 'median', 'p90', 'mean'],
          Object.entries(s).map(([name, v]) => [name, ms(v.medianMs), ms(v.p90Ms), ms(v.meanMs)]),
        ),
        '',
        `fresh / console:         ${freshRatio.toFixed(1)}x   (target >= 50x: ${verdict(freshRatio >= 50)})`,
        `controlmaster / console: ${cmRatio.toFixed(2)}x   (target > 1x, faster than ControlMaster: ${verdict(cmRatio > 1)})`,
      ],
    };
  } finally {
    await con.close();
    await server.stop();
  }
}
