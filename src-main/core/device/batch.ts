/**
 * Several questions to a device in ONE remote command: `section` frames each part's output with markers and its
 * exit code, `parseSections` splits them again. One round trip instead of one per question.
 */
import { sh, type ShellCommand } from './quote.js';

const BEGIN = '@@tally-section ';
const END = '@@tally-rc ';

export interface Section {
  /** Everything the part printed (stdout and stderr), without the framing newline. */
  text: string;
  /** The part's exit code; null when the command was cut off before it finished. */
  code: number | null;
}

/** Frame one part of a compound command; its stderr goes to the same stream so failures carry their reason. */
export function section(name: string, command: ShellCommand): ShellCommand {
  return sh`printf '%s\\n' ${BEGIN + name}; { ${command}; } 2>&1; printf '\\n%s%s\\n' ${END} "$?"`;
}

export function parseSections(stdout: string): Map<string, Section> {
  const out = new Map<string, Section>();
  let name: string | undefined;
  let lines: string[] = [];
  const close = (code: number | null): void => {
    if (name === undefined) return;
    // The END marker is printed after a newline of its own: drop it again.
    if (code !== null && lines.at(-1) === '') lines.pop();
    out.set(name, { text: lines.join('\n'), code });
    name = undefined;
    lines = [];
  };
  for (const line of stdout.split('\n')) {
    if (line.startsWith(BEGIN)) {
      close(null);
      name = line.slice(BEGIN.length);
    } else if (line.startsWith(END) && name !== undefined) {
      const code = Number(line.slice(END.length));
      close(Number.isInteger(code) ? code : null);
    } else if (name !== undefined) lines.push(line);
  }
  close(null);
  return out;
}
