/**
 * A migration file's text with a map from the UTF-8 byte offsets libpg-query reports to
 * the line and column a person sees in an editor (1-based, counted in characters).
 */
export interface Position {
  line: number;
  column: number;
}

export class SourceText {
  readonly text: string;
  readonly bytes: Buffer;
  /** Byte offset at which each line starts. */
  private readonly lineStarts: number[];
  private readonly ascii: boolean;

  constructor(text: string) {
    this.text = text;
    this.bytes = Buffer.from(text, 'utf8');
    this.ascii = this.bytes.length === text.length;
    this.lineStarts = [0];
    for (let i = 0; i < this.bytes.length; i++) {
      if (this.bytes[i] === 0x0a) this.lineStarts.push(i + 1);
    }
  }

  /** Line and column of a byte offset; offsets past the end clamp to the end. */
  position(byteOffset: number): Position {
    const offset = Math.max(0, Math.min(byteOffset, this.bytes.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    const lineStart = this.lineStarts[lo];
    const column = this.ascii
      ? offset - lineStart
      // Code points, so that an emoji counts once, as editors show it.
      : [...this.bytes.subarray(lineStart, offset).toString('utf8')].length;
    return { line: lo + 1, column: column + 1 };
  }

  /** The text between two byte offsets. */
  slice(startByte: number, endByte: number): string {
    if (this.ascii) return this.text.slice(startByte, endByte);
    return this.bytes.subarray(startByte, endByte).toString('utf8');
  }

  get byteLength(): number {
    return this.bytes.length;
  }
}
