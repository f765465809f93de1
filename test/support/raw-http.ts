import { connect } from 'node:net';

/**
 * Writes `bytes` on a fresh TCP connection to `base` and returns everything the server sent
 * until it closed the connection (or `timeoutMs` passed). No HTTP client in between, so
 * malformed and unusual requests reach the server exactly as written.
 */
export function rawExchange(base: string, bytes: string | Buffer, timeoutMs = 5_000): Promise<string> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err) => { if (chunks.length === 0) reject(err); });
    socket.on('close', () => { clearTimeout(timer); resolve(Buffer.concat(chunks).toString('latin1')); });
  });
}
