/** The configured paths, created at start as MediaMTX creates its static paths. */
import type { Logger } from './log.js';
import { MediaPath } from './path.js';

export class PathManager {
  private readonly paths = new Map<string, MediaPath>();

  constructor(names: readonly string[], log: Logger) {
    for (const name of names) this.paths.set(name, new MediaPath(name, log.child('path ' + name)));
  }

  get(name: string): MediaPath | undefined {
    return this.paths.get(name);
  }

  /** All paths, sorted by name as the API lists them. */
  list(): MediaPath[] {
    return [...this.paths.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
