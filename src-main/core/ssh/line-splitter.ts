/**
 * Complete lines from a command's streamed output: UTF-8 decoded across chunk boundaries (a character split
 * between two chunks is not mangled), a partial last line held until the rest arrives or the stream ends.
 */
export class LineSplitter {
  private readonly decoder = new TextDecoder('utf-8');
  private carry = '';

  constructor(private readonly onLines: (lines: string[]) => void) {}

  push(chunk: Buffer): void {
    this.take(this.decoder.decode(chunk, { stream: true }));
  }

  /** The stream ended: a last line without its newline still counts. */
  end(): void {
    this.take(`${this.decoder.decode()}\n`);
  }

  private take(text: string): void {
    const parts = (this.carry + text).split('\n');
    this.carry = parts.pop() ?? '';
    if (parts.length > 0) this.onLines(parts);
  }
}
