/**
 * The bare proxy (bare-proxy.ts) with pieces of the router's per-request work added, each
 * named on the command line, so node-variants.ts can measure what each piece costs on its own
 * beside the bare proxy and the router:
 *
 *   node --import tsx bare-proxy-pieces.ts <upstream-url> [PIECE...]
 *
 * - `forwarded`: the router's upstream head (hop-by-hop.ts's upstreamRequestHead: five
 *   forwarded headers, hop-by-hop names dropped) instead of the client's raw headers.
 * - `downstream`: the router's response-header rewriting (downstreamResponseHeaders).
 * - `listeners`: two more 'request' listeners, as the router's parse-error ordering and
 *   idle-connection hold add.
 * - `close`: a 'close' listener on every response, as the exchange's client-close watch.
 * - `metrics`: the latency histogram and status counters, timed with performance.now().
 * - `pool`: the router's upstream pool (UpstreamReplica: early-response connector, its
 *   keep-alive and timeouts) instead of a plain undici Pool.
 * Not a product; prints `READY <port>`, exits on SIGTERM.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool, type Dispatcher } from 'undici';
import { downstreamResponseHeaders, upstreamRequestHead } from '../../src/router/hop-by-hop.ts';
import { TrafficCounters } from '../../src/router/router-metrics.ts';
import { UpstreamReplica } from '../../src/router/upstream-replica.ts';

const [upstream, ...pieceArgs] = process.argv.slice(2);
if (!upstream) {
  process.stderr.write('usage: bare-proxy-pieces.ts <upstream-url> [forwarded|downstream|listeners|close|metrics|pool]...\n');
  process.exit(2);
}
const KNOWN = new Set(['forwarded', 'downstream', 'listeners', 'close', 'metrics', 'pool']);
for (const p of pieceArgs) if (!KNOWN.has(p)) { process.stderr.write(`unknown piece ${p}\n`); process.exit(2); }
const has = (p: string) => pieceArgs.includes(p);
const forwarded = has('forwarded');
const downstream = has('downstream');
const watchClose = has('close');
const metrics = has('metrics');

const pool: Dispatcher = has('pool')
  ? new UpstreamReplica(new URL(upstream).origin, { connections: 1024, headersTimeoutMs: 300_000, bodyTimeoutMs: 0 }).dispatcher
  : new Pool(upstream, { connections: 1024 });
const counters = new TrafficCounters('blue', 'main');
function onClose(): void {}

function bareResponseHeaders(raw: Buffer[]): string[] {
  const headers: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1');
    if (name.length === 10 && name.toLowerCase() === 'connection') continue;
    if (name.length === 10 && name.toLowerCase() === 'keep-alive') continue;
    headers.push(name, raw[i + 1]!.toString('latin1'));
  }
  return headers;
}

const server = createServer((req, res) => {
  const startedAt = metrics ? performance.now() : 0;
  if (watchClose) res.on('close', onClose);
  let resume: (() => void) | null = null;
  const handler: Dispatcher.DispatchHandler = {
    onConnect() {},
    onHeaders(status, raw, r) {
      resume = r;
      res.writeHead(status, downstream ? downstreamResponseHeaders(raw as Buffer[]) : bareResponseHeaders(raw as Buffer[]));
      return true;
    },
    onData(chunk) {
      if (res.write(chunk)) return true;
      res.once('drain', resume!);
      return false;
    },
    onComplete() {
      res.end();
      if (metrics) counters.record(res.statusCode, (performance.now() - startedAt) / 1000);
    },
    onError() {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    },
  };
  const headers = forwarded ? upstreamRequestHead(req.rawHeaders, req.socket.remoteAddress, false).headers : req.rawHeaders;
  pool.dispatch({ path: req.url!, method: req.method as Dispatcher.HttpMethod, headers, body: null }, handler);
});
if (has('listeners')) {
  server.on('request', () => {});
  server.on('request', () => {});
}
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
