/**
 * A reference point for the benchmark, not a product: the least a node:http front end with
 * an undici keep-alive pool can do per request (no header rewriting, no metrics, no
 * routing, no drain tracking). The gap between this and nginx is what node and undici cost;
 * the gap between this and the router is what cutover's own logic costs.
 * Prints `READY <port>`; exits on SIGTERM.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool, type Dispatcher } from 'undici';

const upstream = process.argv[2];
if (!upstream) {
  process.stderr.write('usage: bare-proxy.ts <upstream-url>\n');
  process.exit(2);
}
const pool = new Pool(upstream, { connections: 1024 });

const server = createServer((req, res) => {
  let resume: (() => void) | null = null;
  const handler: Dispatcher.DispatchHandler = {
    onConnect() {},
    onHeaders(status, raw, r) {
      resume = r;
      const headers: string[] = [];
      for (let i = 0; i < raw.length; i += 2) {
        const name = raw[i]!.toString('latin1');
        if (name.length === 10 && name.toLowerCase() === 'connection') continue;
        if (name.length === 10 && name.toLowerCase() === 'keep-alive') continue;
        headers.push(name, raw[i + 1]!.toString('latin1'));
      }
      res.writeHead(status, headers);
      return true;
    },
    onData(chunk) {
      if (res.write(chunk)) return true;
      res.once('drain', resume!);
      return false;
    },
    onComplete() {
      res.end();
    },
    onError() {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    },
  };
  pool.dispatch({ path: req.url!, method: req.method as Dispatcher.HttpMethod, headers: req.rawHeaders, body: null }, handler);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
