/**
 * The encoder history of a device's recorder checkout (`history.list`): one SSH round trip, read-only, so it
 * takes no lease and never waits for one.
 */
import { ContractError, QUALIFY_NOTES_REF, type History } from '../../contract/index.js';
import type { R58Profile } from '../device/profile.js';
import { parseRepoLog, repoLogCommand, RepoLogError } from '../device/repo-log.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';
import { buildHistory } from './history-read.js';

/** About the last 50 commits that touch the encoder; older ones are rarely a rollback target. */
export const HISTORY_LIMIT = 50;
const TIMEOUT_MS = 20_000;

export interface HistoryDeps {
  connections: Pick<ConnectionManager, 'exec'>;
  profileOf: (deviceId: string) => R58Profile;
  deviceName: (deviceId: string) => string;
}

export class HistoryService {
  constructor(private readonly deps: HistoryDeps) {}

  async list(deviceId: string): Promise<History> {
    const profile = this.deps.profileOf(deviceId);
    const name = this.deps.deviceName(deviceId);
    const { path: repo, config, pipelines } = profile.repo;
    const files = [...new Set([config, pipelines])];
    const cmd = repoLogCommand({
      repo,
      file: config,
      paths: files,
      notesRef: QUALIFY_NOTES_REF,
      limit: HISTORY_LIMIT,
    });
    const r = await this.deps.connections.exec(deviceId, cmd, { timeoutMs: TIMEOUT_MS });
    if (r.code === 4)
      throw new ContractError('not_found', `${name} has no ${repo}: the recorder's checkout is missing.`);
    if (r.code === 5)
      throw new ContractError('not_found', `${repo} on ${name} is not a git checkout, so it has no history.`);
    try {
      const log = parseRepoLog(r.stdout, HISTORY_LIMIT);
      return buildHistory(log, { deviceId, repo, file: config, files, limit: HISTORY_LIMIT });
    } catch (err) {
      if (!(err instanceof RepoLogError)) throw err;
      const stderr = r.stderr.trim().split('\n').slice(-2).join(' ');
      throw new ContractError(
        'device_error',
        `Reading the history of ${repo} on ${name} failed: ${err.message}${stderr ? ` (${stderr})` : ''}.`,
      );
    }
  }
}
