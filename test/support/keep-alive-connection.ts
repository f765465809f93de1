import { connect, type Socket } from 'node:net';

/** One HTTP/1.1 response as read off the wire. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The interim (1xx) responses that came before this one, such as 103 Early Hints, by status. */
  interim: number[];
}

/**
 * One TCP connection kept open between requests, with no client library in between: the test
 * decides when it sends and sees exactly what the server does with an idle keep-alive
 * connection (answer it, or close it under the client). Bodies carry a content-length or are
 * chunked (without trailers).
 */
export class KeepAliveConnection {
  readonly #socket: Socket;
  #buffer = Buffer.alloc(0);
  #closed = false;
  #wake: (() => void) | null = null;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (c: Buffer) => { this.#buffer = Buffer.concat([this.#buffer, c]); this.#wake?.(); });
    socket.on('error', () => {});
    socket.on('close', () => { this.#closed = true; this.#wake?.(); });
  }

  static open(base: string): Promise<KeepAliveConnection> {
    const url = new URL(base);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port) });
      socket.once('connect', () => { socket.removeListener('error', reject); resolve(new KeepAliveConnection(socket)); });
      socket.once('error', reject);
    });
  }

  /** True once the server has closed (or reset) the connection. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends `GET path` (with that Host and any extra headers) and reads its final response (the
   * interim ones before it are listed in `interim`); rejects when the connection closes first.
   */
  async get(path: string, timeoutMs = 5_000, host = 'cutover.test', headers: Record<string, string> = {}): Promise<RawResponse> {
    if (this.#closed) throw new Error('the server had already closed this connection');
    const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    this.#socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`);
    const deadline = Date.now() + timeoutMs;
    const interim: number[] = [];
    for (;;) {
      const response = this.#take();
      if (response && response.status < 200) { interim.push(response.status); continue; }
      if (response) return { ...response, interim };
      if (this.#closed) throw new Error(`the server closed the connection before answering GET ${path}${interim.length ? ` (after interim ${interim.join(', ')})` : ''}`);
      if (Date.now() > deadline) throw new Error(`no response to GET ${path} within ${timeoutMs}ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.#wake = () => { clearTimeout(timer); resolve(); };
      });
      this.#wake = null;
    }
  }

  close(): void {
    this.#socket.destroy();
  }

  #take(): Omit<RawResponse, 'interim'> | null {
    const end = this.#buffer.indexOf('\r\n\r\n');
    if (end === -1) return null;
    const [statusLine, ...lines] = this.#buffer.subarray(0, end).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const status = Number(statusLine!.split(' ')[1]);
    if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
      const chunked = this.#chunkedBody(end + 4);
      if (!chunked) return null;
      this.#buffer = this.#buffer.subarray(chunked.next);
      return { status, headers, body: chunked.body };
    }
    const length = Number(headers['content-length'] ?? 0);
    if (this.#buffer.length < end + 4 + length) return null;
    const body = this.#buffer.subarray(end + 4, end + 4 + length).toString('utf8');
    this.#buffer = this.#buffer.subarray(end + 4 + length);
    return { status, headers, body };
  }

  /** A chunked body starting at `from` once it is all in (no trailers), with where the next response starts. */
  #chunkedBody(from: number): { body: string; next: number } | null {
    const parts: Buffer[] = [];
    let at = from;
    for (;;) {
      const lineEnd = this.#buffer.indexOf('\r\n', at);
      if (lineEnd === -1) return null;
      const size = parseInt(this.#buffer.subarray(at, lineEnd).toString('latin1'), 16);
      if (this.#buffer.length < lineEnd + 2 + size + 2) return null;
      if (size === 0) return { body: Buffer.concat(parts).toString('utf8'), next: lineEnd + 4 };
      parts.push(this.#buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
  }
}
