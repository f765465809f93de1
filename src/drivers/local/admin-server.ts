import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { unlink, chmod } from 'node:fs/promises';
import { CutoverError, isCutoverError } from '../../core/errors.ts';

export type AdminHandler = (request: { method: string; path: string; params: Record<string, string>; query: URLSearchParams; body: unknown }) => Promise<unknown>;

interface Route { method: string; pattern: RegExp; keys: string[]; handler: AdminHandler }

/**
 * The daemon's admin API: JSON over HTTP on a unix socket under `.cutover/`, so only users who
 * can read that directory can drive the router. About ten fixed routes do not justify a web
 * framework; this is the whole dispatcher.
 */
export class AdminServer {
  private readonly routes: Route[] = [];
  private server: Server | null = null;

  on(method: string, path: string, handler: AdminHandler): this {
    const keys: string[] = [];
    const pattern = new RegExp(`^${path.replace(/:(\w+)/g, (_, key: string) => { keys.push(key); return '([^/]+)'; })}$`);
    this.routes.push({ method, pattern, keys, handler });
    return this;
  }

  async listen(socketPath: string): Promise<void> {
    // A socket file left by a daemon that was killed would make listen() fail with EADDRINUSE.
    await unlink(socketPath).catch(() => {});
    this.server = createServer((req, res) => void this.dispatch(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(socketPath, () => resolve());
    });
    await chmod(socketPath, 0o600);
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://admin');
    const route = this.routes.find((r) => r.method === req.method && r.pattern.test(url.pathname));
    if (!route) return send(res, 404, { error: { code: 'not-found', message: `no admin route ${req.method} ${url.pathname}` } });
    const match = route.pattern.exec(url.pathname)!;
    const params = Object.fromEntries(route.keys.map((k, i) => [k, decodeURIComponent(match[i + 1])]));
    try {
      const text = await readBody(req);
      const body = text ? JSON.parse(text) : undefined;
      const result = await route.handler({ method: req.method!, path: url.pathname, params, query: url.searchParams, body });
      if (route.pattern.source.includes('metrics') && typeof result === 'string') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(result);
        return;
      }
      send(res, 200, result ?? { ok: true });
    } catch (err) {
      const status = isCutoverError(err) ? (err.code === 'not-found' ? 404 : err.code === 'internal' ? 500 : 409) : 500;
      const code = isCutoverError(err) ? err.code : 'internal';
      send(res, status, { error: { code, message: (err as Error).message, details: isCutoverError(err) ? err.details : undefined } });
    }
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1_000_000) throw new CutoverError('usage', 'admin request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
