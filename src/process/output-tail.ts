/**
 * Keeps the last `limitBytes` of a process's output. The end of a failing script's output is
 * where the failure is, so the head is what gets dropped.
 */
export class OutputTail {
  readonly limitBytes: number;
  #chunks: Buffer[] = [];
  #size = 0;
  #dropped = 0;

  constructor(limitBytes: number) {
    this.limitBytes = limitBytes;
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    while (this.#size > this.limitBytes && this.#chunks.length > 0) {
      const excess = this.#size - this.limitBytes;
      const first = this.#chunks[0];
      if (first.length <= excess) {
        this.#chunks.shift();
        this.#size -= first.length;
        this.#dropped += first.length;
      } else {
        this.#chunks[0] = first.subarray(excess);
        this.#size -= excess;
        this.#dropped += excess;
      }
    }
  }

  /** Bytes dropped from the front so far. */
  get droppedBytes(): number {
    return this.#dropped;
  }

  /** The kept text; when something was dropped, starts with a note saying how much. */
  toString(): string {
    let text = Buffer.concat(this.#chunks).toString('utf8');
    if (this.#dropped === 0) return text;
    // Start at a line boundary when one is near, rather than mid-line (or mid-character).
    const newline = text.indexOf('\n');
    let dropped = this.#dropped;
    if (newline !== -1 && newline < 512) {
      dropped += Buffer.byteLength(text.slice(0, newline + 1));
      text = text.slice(newline + 1);
    }
    return `[… ${dropped} earlier bytes not kept]\n${text}`;
  }

  /** The last non-empty line, for one-line reasons such as `exit 1: database unreachable`. */
  lastLine(maxChars = 200): string | undefined {
    const lines = Buffer.concat(this.#chunks).toString('utf8').split(/\r?\n/);
    for (let i = lines.length - 1; i >= 0; i--) {
      const line = lines[i].trim();
      if (line !== '') return line.length > maxChars ? `${line.slice(0, maxChars)}…` : line;
    }
    return undefined;
  }
}
