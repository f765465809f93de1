import type { Socket } from 'node:net';
import { buildConnector } from 'undici';

/** How long a connection whose writes failed stays open to read an answer the upstream already sent. */
const READ_AFTER_WRITE_FAILURE_MS = 2_000;

/**
 * An upstream may answer before it has read the request body, for example a 413 for a 50 MB
 * upload, and then close. The router's next body write fails (EPIPE, or ECONNRESET once the
 * peer reset), and undici tears the connection down at once, discarding the answer that is
 * already in the socket's receive queue: the client would get a 502 instead of the 413.
 *
 * This connector gives each upstream socket a grace period instead: a failed write stops
 * further writes but leaves the socket open for reading, so undici's parser still gets the
 * early answer (undici handles "response complete before request"), and only then is the
 * socket is destroyed. Any other error, or the end of the stream, destroys it as usual.
 * undici has no option for this; wrapping its own connector is the supported extension point.
 */
export function earlyResponseConnector(): buildConnector.connector {
  const connect = buildConnector({});
  return (options, callback) => connect(options, (err, socket) => {
    if (err === null && socket) readAfterWriteFailure(socket as Socket);
    // The callback's overloads differ only in which argument is null.
    (callback as (e: Error | null, s: unknown) => void)(err, socket);
  });
}

function isWriteFailure(err: unknown): boolean {
  const e = err as { code?: string; syscall?: string } | undefined;
  return e?.syscall === 'write' && (e.code === 'EPIPE' || e.code === 'ECONNRESET');
}

function readAfterWriteFailure(socket: Socket): void {
  const destroy = socket.destroy.bind(socket);
  let pending: Error | null = null;
  socket.destroy = function destroyAfterReading(this: Socket, err?: Error): Socket {
    if (pending === null && isWriteFailure(err) && !socket.readableEnded) {
      pending = err!;
      // Node marks the readable side errored along with the writable one, which stops all
      // reads; un-mark it so the answer already received can still be read. This touches a
      // stream internal (present in Node 20 to 24); the early-413 router test guards it.
      const readable = (socket as unknown as { _readableState?: { errored: unknown } })._readableState;
      if (readable) readable.errored = null;
      socket.read(0);
      const timer = setTimeout(() => destroy(pending!), READ_AFTER_WRITE_FAILURE_MS);
      timer.unref();
      socket.once('close', () => clearTimeout(timer));
      // The peer's FIN (or reset) after its answer: now the write error may surface.
      socket.once('end', () => setImmediate(() => destroy(pending!)));
      return socket;
    }
    // Later writes fail with the same error while we wait; they change nothing.
    if (pending !== null && (err === pending || isWriteFailure(err))) return socket;
    return destroy(err);
  };
}
