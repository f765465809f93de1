import { createSocket, type Socket } from 'node:dgram';
import { LATENCY_BUCKETS_SECONDS } from '../router-metrics.ts';

/**
 * HAProxy keeps no latency histogram, so it sends one short log line per request
 * (`log-format "%b %Ta"`: backend name, total active time in ms) to this UDP listener on
 * loopback, which folds them into cumulative histograms with the Node router's buckets.
 * A lost datagram loses one sample, never a count: request counts come from `show stat`.
 */
export class RequestLogHistogram {
  readonly #socket: Socket;
  /** backend name -> counts per bucket (last: +Inf), and the sum in seconds. */
  readonly #byBackend = new Map<string, { counts: number[]; sum: number }>();

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('message', (msg) => this.#record(msg.toString('latin1')));
  }

  /** Binds `port` (the one a running HAProxy already logs to), or any free port when it is taken or 0. */
  static async listen(port = 0): Promise<RequestLogHistogram> {
    const bind = (at: number) => new Promise<Socket>((resolve, reject) => {
      const socket = createSocket('udp4');
      socket.once('error', (err) => { socket.close(); reject(err); });
      socket.bind(at, '127.0.0.1', () => { socket.removeAllListeners('error'); resolve(socket); });
    });
    const socket = await bind(port).catch(() => bind(0));
    return new RequestLogHistogram(socket);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  #record(line: string): void {
    // `<134>Dec  2 00:10:00 haproxy[123]: main_blue 12` (RFC 3164 header, then our format).
    const end = line.length - (line.endsWith('\n') ? 1 : 0);
    const space = line.lastIndexOf(' ', end - 1);
    const before = line.lastIndexOf(' ', space - 1);
    if (space < 0 || before < 0) return;
    const backend = line.slice(before + 1, space);
    const ms = Number(line.slice(space + 1, end));
    if (!Number.isFinite(ms) || ms < 0 || !/^(main|preview)_(blue|green)$/.test(backend)) return;
    let slot = this.#byBackend.get(backend);
    if (!slot) this.#byBackend.set(backend, slot = { counts: new Array(LATENCY_BUCKETS_SECONDS.length + 1).fill(0), sum: 0 });
    const seconds = ms / 1000;
    let i = 0;
    while (i < LATENCY_BUCKETS_SECONDS.length && seconds > LATENCY_BUCKETS_SECONDS[i]!) i++;
    slot.counts[i]!++;
    slot.sum += seconds;
  }

  /** `cutover_router_request_duration_seconds` in Prometheus text, cumulative per bucket. */
  text(): string {
    const out = [
      '# HELP cutover_router_request_duration_seconds Time from receiving a request to sending the last byte of its response, per color and listener (from HAProxy\'s request log).',
      '# TYPE cutover_router_request_duration_seconds histogram',
    ];
    for (const [backend, slot] of this.#byBackend) {
      const [listener, color] = backend.split('_') as [string, string];
      const labels = `color="${color}",listener="${listener}"`;
      let cumulative = 0;
      LATENCY_BUCKETS_SECONDS.forEach((le, i) => {
        cumulative += slot.counts[i]!;
        out.push(`cutover_router_request_duration_seconds_bucket{${labels},le="${le}"} ${cumulative}`);
      });
      cumulative += slot.counts.at(-1)!;
      out.push(`cutover_router_request_duration_seconds_bucket{${labels},le="+Inf"} ${cumulative}`);
      out.push(`cutover_router_request_duration_seconds_sum{${labels}} ${slot.sum}`);
      out.push(`cutover_router_request_duration_seconds_count{${labels}} ${cumulative}`);
    }
    return `${out.join('\n')}\n`;
  }

  close(): void {
    this.#socket.close();
  }
}
