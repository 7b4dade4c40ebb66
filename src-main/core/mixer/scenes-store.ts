/**
 * The mixer's scenes, kept on the device (`~/.tally/mixer/scenes.json`) so every console sees the same ones. A save
 * is a compare-and-swap: the console sends the file's hash as it read it, and the device writes (temp file, then
 * rename) only if the file is still that; so two consoles never overwrite each other's change unknowingly. The
 * previous file is kept as `scenes.json.prev`, a way back from a bad save.
 */
import { createHash } from 'node:crypto';
import { ContractError, SceneList, type Scene } from '../../contract/index.js';
import { sh } from '../device/quote.js';
import type { ConnectionManager } from '../ssh/connection-manager.js';

const DIR = sh`"$HOME"/.tally/mixer`;
/** Exit code of a save that found the file changed since it was read. */
const CHANGED = 3;

interface Read {
  list: SceneList;
  /** sha-256 of the file as read ('none' when there is none). */
  hash: string;
}

function hashOf(text: string | null): string {
  return text === null ? 'none' : createHash('sha256').update(text).digest('hex');
}

export class ScenesStore {
  constructor(
    private readonly connections: ConnectionManager,
    private readonly deviceName: (deviceId: string) => string,
  ) {}

  async list(deviceId: string): Promise<SceneList> {
    return (await this.read(deviceId)).list;
  }

  async save(deviceId: string, scene: Scene, rev: number): Promise<SceneList> {
    return this.change(deviceId, rev, (scenes) => {
      const at = scenes.findIndex((s) => s.id === scene.id);
      return at < 0 ? [...scenes, scene] : scenes.map((s, i) => (i === at ? scene : s));
    });
  }

  async remove(deviceId: string, sceneId: string, rev: number): Promise<SceneList> {
    return this.change(deviceId, rev, (scenes) => {
      if (!scenes.some((s) => s.id === sceneId))
        throw new ContractError('not_found', `There is no scene ${sceneId} on ${this.deviceName(deviceId)}.`);
      return scenes.filter((s) => s.id !== sceneId);
    });
  }

  private async change(
    deviceId: string,
    rev: number,
    edit: (scenes: Scene[]) => Scene[],
  ): Promise<SceneList> {
    const { list, hash } = await this.read(deviceId);
    if (list.rev !== rev) throw this.conflict(deviceId);
    const next: SceneList = { rev: list.rev + 1, scenes: edit(list.scenes) };
    const text = `${JSON.stringify(next, null, 2)}\n`;
    const r = await this.connections.exec(
      deviceId,
      sh`d=${DIR}; mkdir -p "$d" || exit 1
exec 9>"$d/scenes.lock"; flock -w 5 9 || exit 1
cur=none; [ -f "$d/scenes.json" ] && cur=$(sha256sum < "$d/scenes.json" | cut -c1-64)
[ "$cur" = ${hash} ] || exit ${CHANGED}
[ -f "$d/scenes.json" ] && cp -p "$d/scenes.json" "$d/scenes.json.prev"
cat > "$d/scenes.json.tmp" && mv -f "$d/scenes.json.tmp" "$d/scenes.json"`,
      { stdin: text, timeoutMs: 15_000 },
    );
    if (r.code === CHANGED) throw this.conflict(deviceId);
    if (r.code !== 0)
      throw new ContractError(
        'device_error',
        `Could not save the scenes on ${this.deviceName(deviceId)}: ${r.stderr.trim() || `exit ${r.code}`}. Nothing was changed.`,
      );
    return next;
  }

  private conflict(deviceId: string): ContractError {
    return new ContractError(
      'conflict',
      `The scenes on ${this.deviceName(deviceId)} were changed by another console since you loaded them; reload them, then make your change again.`,
    );
  }

  private async read(deviceId: string): Promise<Read> {
    const r = await this.connections.exec(
      deviceId,
      sh`cat ${DIR}/scenes.json 2>/dev/null || printf '@none'`,
      {
        timeoutMs: 15_000,
      },
    );
    if (r.code !== 0)
      throw new ContractError('device_error', `Could not read the scenes on ${this.deviceName(deviceId)}.`);
    if (r.stdout === '@none') return { list: { rev: 0, scenes: [] }, hash: hashOf(null) };
    let value: unknown;
    try {
      value = JSON.parse(r.stdout);
    } catch {
      throw new ContractError(
        'device_error',
        `~/.tally/mixer/scenes.json on ${this.deviceName(deviceId)} is not JSON; the way back is scenes.json.prev beside it.`,
      );
    }
    const parsed = SceneList.safeParse(value);
    if (!parsed.success)
      throw new ContractError(
        'device_error',
        `~/.tally/mixer/scenes.json on ${this.deviceName(deviceId)} is not a scene list (${parsed.error.issues[0]?.message ?? 'invalid'}); the way back is scenes.json.prev beside it.`,
      );
    return { list: parsed.data, hash: hashOf(r.stdout) };
  }
}
