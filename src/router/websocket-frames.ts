import { randomBytes } from 'node:crypto';

/**
 * Just enough of RFC 6455 framing for the router to end a WebSocket it otherwise relays byte
 * for byte: where each frame ends, so that a close frame is never written into the middle of
 * one, and the bytes of a close frame. Hand-written rather than taken from `ws` because `ws` is
 * only a dev dependency here and a full parser would copy and unmask payloads the router never
 * needs: this reads frame headers (2 to 14 bytes) and skips payloads by arithmetic.
 */

/** Close code 1001: the endpoint is going away (RFC 6455 §7.4.1), so the client reconnects. */
export const CLOSE_GOING_AWAY = 1001;

const OPCODE_CLOSE = 0x8;

/** Follows one direction of a WebSocket byte stream and knows where its frames begin and end. */
export class FrameBoundaries {
  readonly #header = Buffer.alloc(14);
  #headerLength = 0;
  #payloadLeft = 0;
  /** True once a close frame's header went by: the peer has started the closing handshake. */
  closeSeen = false;

  /** True between two frames: nothing of a next frame has been read yet. */
  get atBoundary(): boolean {
    return this.#headerLength === 0 && this.#payloadLeft === 0;
  }

  /**
   * Follows `chunk` from `start`. Returns the offset just past the first frame that ends in it
   * when `stopAtBoundary` is set (the rest is not followed), else `chunk.length`.
   */
  advance(chunk: Buffer, start: number, stopAtBoundary: boolean): number {
    let i = start;
    while (i < chunk.length) {
      if (this.#payloadLeft > 0) {
        const take = Math.min(this.#payloadLeft, chunk.length - i);
        this.#payloadLeft -= take;
        i += take;
        if (this.#payloadLeft === 0 && stopAtBoundary) return i;
        continue;
      }
      this.#header[this.#headerLength++] = chunk[i++]!;
      if (this.#headerLength < this.#headerSize()) continue;
      this.#payloadLeft = this.#payloadLength();
      if ((this.#header[0]! & 0x0f) === OPCODE_CLOSE) this.closeSeen = true;
      this.#headerLength = 0;
      if (this.#payloadLeft === 0 && stopAtBoundary) return i;
    }
    return i;
  }

  /** Size of the header being read, as far as its first two bytes tell. */
  #headerSize(): number {
    if (this.#headerLength < 2) return 2;
    const second = this.#header[1]!;
    const length7 = second & 0x7f;
    const extended = length7 === 126 ? 2 : length7 === 127 ? 8 : 0;
    return 2 + extended + ((second & 0x80) !== 0 ? 4 : 0);
  }

  #payloadLength(): number {
    const length7 = this.#header[1]! & 0x7f;
    if (length7 === 126) return this.#header.readUInt16BE(2);
    // 64-bit length: above 2^53 no real stream gets that far, so a double is exact enough.
    if (length7 === 127) return this.#header.readUInt32BE(2) * 2 ** 32 + this.#header.readUInt32BE(6);
    return length7;
  }
}

/**
 * A close frame with `code` and a short `reason` (at most 123 bytes). `masked` for frames a
 * client sends (the router towards the app), as RFC 6455 §5.3 requires; unmasked towards a client.
 */
export function closeFrame(code: number, reason: string, masked: boolean): Buffer {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2);
  if (payload.length > 125) throw new RangeError('a close frame reason is at most 123 bytes');
  if (!masked) return Buffer.concat([Buffer.from([0x80 | OPCODE_CLOSE, payload.length]), payload]);
  const key = randomBytes(4);
  for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ key[i & 3]!;
  return Buffer.concat([Buffer.from([0x80 | OPCODE_CLOSE, 0x80 | payload.length]), key, payload]);
}
