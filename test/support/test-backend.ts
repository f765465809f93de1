/**
 * A real in-process HTTP backend for router and load tests: listens on 127.0.0.1:0, tags
 * every response with its color and version, and records when each request arrived.
 *
 * Routes: `/` small 200 · `/slow?ms=N` answers after N ms · `/echo` streams the request
 * body back · `/big?mb=N` streams N MiB · `/headers` returns the request head as JSON ·
 * `/status?code=N`. WebSocket upgrades on any path are accepted and echo messages back,
 * prefixed with the color.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface Arrival {
  /** Epoch ms (sub-ms precision) at which the request head was parsed. */
  at: number;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  rawHeaders: string[];
}

export interface TestBackend {
  readonly url: string;
  readonly port: number;
  readonly color: string;
  readonly arrivals: Arrival[];
  /** Requests currently being answered. */
  readonly active: number;
  readonly sockets: Set<WebSocket>;
  close(): Promise<void>;
}

const CHUNK = Buffer.alloc(64 * 1024, 0x62);

function handle(color: string, version: string, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  res.setHeader('x-cutover-color', color);
  res.setHeader('x-cutover-version', version);
  switch (url.pathname) {
    case '/slow': {
      const timer = setTimeout(() => res.end(`${color} slow\n`), Number(url.searchParams.get('ms') ?? 1000));
      res.on('close', () => clearTimeout(timer));
      req.resume();
      return;
    }
    case '/echo':
      res.setHeader('content-type', 'application/octet-stream');
      req.pipe(res);
      return;
    case '/big': {
      let left = Number(url.searchParams.get('mb') ?? 1) * 16;
      res.setHeader('content-length', String(left * CHUNK.length));
      const pump = () => {
        while (left > 0) {
          left--;
          if (!res.write(CHUNK)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
      return;
    }
    case '/headers':
      req.resume();
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, rawHeaders: req.rawHeaders }));
      return;
    case '/status':
      req.resume();
      res.statusCode = Number(url.searchParams.get('code') ?? 200);
      res.end(`${color} status ${res.statusCode}\n`);
      return;
    default:
      req.resume();
      req.on('end', () => res.end(`${color} ok\n`));
  }
}

/** Starts a backend; `port` lets a test bring one back on the same address. */
export async function startTestBackend(color: string, version = `${color}-v1`, port = 0): Promise<TestBackend> {
  const arrivals: Arrival[] = [];
  let active = 0;
  const sockets = new Set<WebSocket>();
  const server: Server = createServer((req, res) => {
    arrivals.push({
      at: performance.timeOrigin + performance.now(),
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      rawHeaders: req.rawHeaders,
    });
    active++;
    res.on('close', () => { active--; });
    handle(color, version, req, res);
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    arrivals.push({ at: performance.timeOrigin + performance.now(), method: req.method ?? '', path: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders });
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', (data) => ws.send(`${color}:${data.toString()}`));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    color,
    arrivals,
    get active() { return active; },
    sockets,
    async close() {
      for (const ws of sockets) ws.terminate();
      wss.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
