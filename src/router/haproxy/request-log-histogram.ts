import { createServer, type Server, type Socket } from 'node:net';
import { LATENCY_BUCKETS_SECONDS } from '../router-metrics.ts';

/** How often the log connection is read; the socket buffers (and HAProxy's 1 MiB ring) hold far more than that. */
const READ_EVERY_MS = 20;

/**
 * HAProxy keeps no latency histogram, so it logs one short line per request
 * (`log-format "%b %Ta"`: backend name, total active time in ms) into a ring buffer that it
 * forwards over one TCP connection to this listener on loopback, which folds the lines into
 * cumulative histograms with the Node router's buckets. A ring, not a UDP datagram per
 * request: HAProxy writes to memory and sends many lines per write, and this process reads
 * them in chunks, which costs both far less CPU per request under load (bench/router-overhead).
 * A line lost (ring full, no connection) loses one sample, never a count: request counts come
 * from `show stat`.
 */
export class RequestLogHistogram {
  readonly #server: Server;
  readonly #connections = new Set<Socket>();
  /** backend name -> counts per bucket (last: +Inf), and the sum in seconds. */
  readonly #byBackend = new Map<string, { counts: number[]; sum: number }>();

  private constructor(server: Server) {
    this.#server = server;
    // One connection per HAProxy worker (an old one during a reload, the new one).
    server.on('connection', (socket) => {
      this.#connections.add(socket);
      let partial = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => {
        const text = partial + chunk;
        let from = 0;
        for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
          this.#record(text, from, nl);
          from = nl + 1;
        }
        partial = text.slice(from);
        // HAProxy forwards the ring as soon as it has lines, so under load a read wakes this
        // process for a handful of lines each time; the wake-ups, not the parsing, were most of
        // its CPU per request. Reading every READ_EVERY_MS lets the kernel gather the lines.
        socket.pause();
        setTimeout(() => socket.resume(), READ_EVERY_MS).unref();
      });
      socket.on('error', () => {});
      socket.on('close', () => this.#connections.delete(socket));
    });
  }

  /** Listens on `port` (the one a running HAProxy already logs to), or any free port when it is taken or 0. */
  static async listen(port = 0): Promise<RequestLogHistogram> {
    const bind = (at: number) => new Promise<Server>((resolve, reject) => {
      const server = createServer();
      server.once('error', (err) => { server.close(); reject(err); });
      server.listen({ port: at, host: '127.0.0.1' }, () => { server.removeAllListeners('error'); resolve(server); });
    });
    const server = await bind(port).catch(() => bind(0));
    return new RequestLogHistogram(server);
  }

  get port(): number {
    return (this.#server.address() as { port: number }).port;
  }

  /** One line, `text[from, end)`: `main_blue 12` (the ring's raw format: our log-format alone). */
  #record(text: string, from: number, end: number): void {
    const space = text.lastIndexOf(' ', end - 1);
    if (space < from) return;
    const before = text.lastIndexOf(' ', space - 1);
    const backend = text.slice(Math.max(before + 1, from), space);
    const ms = Number(text.slice(space + 1, end));
    if (!Number.isFinite(ms) || ms < 0 || !/^(main|preview)_(blue|green)$/.test(backend)) return;
    let slot = this.#byBackend.get(backend);
    if (!slot) this.#byBackend.set(backend, slot = { counts: new Array(LATENCY_BUCKETS_SECONDS.length + 1).fill(0), sum: 0 });
    const seconds = ms / 1000;
    let i = 0;
    while (i < LATENCY_BUCKETS_SECONDS.length && seconds > LATENCY_BUCKETS_SECONDS[i]!) i++;
    slot.counts[i]!++;
    slot.sum += seconds;
  }

  /** One backend's cumulative counts per bound, then the total (`+Inf`), and the sum in seconds; zeros before its first line. */
  cumulative(backend: string): { latency: number[]; sumSeconds: number } {
    const slot = this.#byBackend.get(backend);
    let cumulative = 0;
    const latency = (slot?.counts ?? new Array<number>(LATENCY_BUCKETS_SECONDS.length + 1).fill(0)).map((n) => cumulative += n);
    return { latency, sumSeconds: slot?.sum ?? 0 };
  }

  close(): void {
    this.#server.close();
    for (const socket of this.#connections) socket.destroy();
  }
}
