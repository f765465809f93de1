import { WebSocket } from 'ws';

/** What happened to one socket: the close code it saw (1006: cut without a close frame), or the error that kept it from opening. */
export interface SocketOutcome {
  code: number | null;
  reason: string;
  error: string | null;
}

/** N open WebSockets and what became of each. */
export interface SocketGroup {
  readonly sockets: readonly WebSocket[];
  /** Settles once every socket closed (or failed to open), in the order they were opened. */
  readonly closed: Promise<SocketOutcome[]>;
  /** Close codes seen so far, counted: `{ 1001: 20 }`. */
  codes(): Record<number, number>;
  /** Closes what is still open, from the client side (1000). */
  close(): void;
}

/**
 * Opens `count` real WebSocket connections (the `ws` client) to `url` (ws://…) and resolves
 * once all are open. Rejects if any fails to open, after closing the others.
 */
export async function openSockets(url: string, count: number, options: { timeoutMs?: number } = {}): Promise<SocketGroup> {
  const outcomes: Array<SocketOutcome | undefined> = [];
  const sockets: WebSocket[] = [];
  const settled: Array<Promise<SocketOutcome>> = [];
  const opened: Array<Promise<void>> = [];
  for (let i = 0; i < count; i++) {
    const socket = new WebSocket(url, { handshakeTimeout: options.timeoutMs ?? 10_000 });
    sockets.push(socket);
    let error: string | null = null;
    socket.on('error', (err: NodeJS.ErrnoException) => { error = err.code ?? err.message; });
    opened.push(new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade answered ${res.statusCode}`)));
      socket.once('close', () => reject(new Error(`socket ${i} closed before it opened${error ? ` (${error})` : ''}`)));
    }));
    settled.push(new Promise<SocketOutcome>((resolve) => socket.once('close', (code, reason) => {
      const outcome = { code, reason: reason.toString('utf8'), error };
      outcomes[i] = outcome;
      resolve(outcome);
    })));
  }
  const group: SocketGroup = {
    sockets,
    closed: Promise.all(settled),
    codes() {
      const counts: Record<number, number> = {};
      for (const o of outcomes) if (o?.code != null) counts[o.code] = (counts[o.code] ?? 0) + 1;
      return counts;
    },
    close() {
      for (const s of sockets) if (s.readyState === WebSocket.OPEN || s.readyState === WebSocket.CONNECTING) s.close(1000);
    },
  };
  try {
    await Promise.all(opened);
  } catch (err) {
    for (const s of sockets) s.terminate();
    throw err;
  }
  return group;
}
