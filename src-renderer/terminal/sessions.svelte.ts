import type { TerminalTarget } from '../../src-main/contract/index.js';

/** A terminal tab. Its view owns the core-side terminal (opens, reopens, closes it); this is just the tab. */
export interface Session {
  key: number;
  /** A device id, or LOCAL for the laptop's own shell. */
  owner: string;
  target: TerminalTarget;
  title: string;
}

export class Sessions {
  list = $state<Session[]>([]);
  /** The tab shown for each owner. */
  active = $state<Record<string, number | undefined>>({});
  private next = 1;

  of(owner: string): Session[] {
    return this.list.filter((s) => s.owner === owner);
  }

  open(owner: string, target: TerminalTarget, title: string): number {
    const key = this.next++;
    this.list.push({ key, owner, target, title: this.uniqueTitle(title, key) });
    this.active[owner] = key;
    return key;
  }

  close(key: number): void {
    const session = this.list.find((s) => s.key === key);
    if (!session) return;
    const siblings = this.of(session.owner);
    const index = siblings.findIndex((s) => s.key === key);
    this.list = this.list.filter((s) => s.key !== key);
    if (this.active[session.owner] === key) {
      const rest = siblings.filter((s) => s.key !== key);
      this.active[session.owner] = (rest[index] ?? rest[index - 1])?.key;
    }
  }

  closeOwner(owner: string): void {
    this.list = this.list.filter((s) => s.owner !== owner);
    delete this.active[owner];
  }

  setTitle(key: number, title: string): void {
    const session = this.list.find((s) => s.key === key);
    if (session) session.title = this.uniqueTitle(title, key);
  }

  /** Titles name the tab and its close button, so they must differ: "r58", "r58 (2)"… */
  uniqueTitle(base: string, key: number): string {
    const taken = this.list.filter((s) => s.key !== key).map((s) => s.title);
    if (!taken.includes(base)) return base;
    for (let n = 2; ; n++) if (!taken.includes(`${base} (${n})`)) return `${base} (${n})`;
  }
}

export const sessions = new Sessions();
