import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { CLOSE_GOING_AWAY, closeFrame, FrameBoundaries } from './websocket-frames.ts';

/** One frame as RFC 6455 lays it out, with the length in the shortest or any longer form. */
function frame(opcode: number, payloadLength: number, masked: boolean, lengthForm: 7 | 16 | 64): Buffer {
  const form = payloadLength > 0xffff ? 64 : payloadLength > 125 && lengthForm === 7 ? 16 : lengthForm;
  const head = [0x80 | opcode];
  const mask = masked ? 0x80 : 0;
  if (form === 7) head.push(mask | payloadLength);
  else if (form === 16) head.push(mask | 126, payloadLength >> 8, payloadLength & 0xff);
  else head.push(mask | 127, 0, 0, 0, 0, (payloadLength >>> 24) & 0xff, (payloadLength >> 16) & 0xff, (payloadLength >> 8) & 0xff, payloadLength & 0xff);
  if (masked) head.push(1, 2, 3, 4);
  return Buffer.concat([Buffer.from(head), Buffer.alloc(payloadLength, 0x61)]);
}

const frameArb = fc.record({
  opcode: fc.constantFrom(0x1, 0x2, 0x0, 0x9, 0xa),
  length: fc.oneof(fc.integer({ min: 0, max: 125 }), fc.integer({ min: 126, max: 70_000 })),
  masked: fc.boolean(),
  form: fc.constantFrom(7 as const, 16 as const, 64 as const),
});

describe('websocket frame boundaries', () => {
  test('however a stream of frames is cut into chunks, every frame end is found and nothing else', () => {
    fc.assert(fc.property(fc.array(frameArb, { minLength: 1, maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 1, maxLength: 40 }), (frames, cuts) => {
      const encoded = frames.map((f) => frame(f.opcode, f.length, f.masked, f.form));
      const ends: number[] = [];
      let total = 0;
      for (const b of encoded) ends.push(total += b.length);
      const stream = Buffer.concat(encoded);
      const tracker = new FrameBoundaries();
      const found: number[] = [];
      let offset = 0;
      let cut = 0;
      while (offset < stream.length) {
        const chunk = stream.subarray(offset, Math.min(stream.length, offset + cuts[cut++ % cuts.length]!));
        let i = 0;
        while (i < chunk.length) {
          i = tracker.advance(chunk, i, true);
          if (tracker.atBoundary) found.push(offset + i);
        }
        offset += chunk.length;
      }
      assert.deepEqual(found, ends);
      assert.equal(tracker.closeSeen, false);
    }));
  });

  test('following without stopping lands on the same state, and a close frame is noticed', () => {
    const tracker = new FrameBoundaries();
    const stream = Buffer.concat([frame(0x1, 300, true, 7), frame(0x2, 70_000, false, 64)]);
    assert.equal(tracker.advance(stream, 0, false), stream.length);
    assert.equal(tracker.atBoundary, true);
    tracker.advance(closeFrame(CLOSE_GOING_AWAY, 'going away', true).subarray(0, 6), 0, false); // its header, not its payload
    assert.equal(tracker.closeSeen, true);
    assert.equal(tracker.atBoundary, false);
  });

  test('close frames carry the code and reason, masked towards an app and plain towards a client', () => {
    const plain = closeFrame(1001, 'going away', false);
    assert.deepEqual([...plain.subarray(0, 4)], [0x88, 12, 0x03, 0xe9]);
    assert.equal(plain.subarray(4).toString(), 'going away');
    const masked = closeFrame(1001, 'going away', true);
    assert.equal(masked[1], 0x80 | 12);
    const key = masked.subarray(2, 6);
    const payload = Buffer.from(masked.subarray(6).map((b, i) => b ^ key[i & 3]!));
    assert.equal(payload.readUInt16BE(0), 1001);
    assert.equal(payload.subarray(2).toString(), 'going away');
    assert.throws(() => closeFrame(1000, 'x'.repeat(124), false), RangeError);
  });
});
