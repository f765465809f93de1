import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { chmod, rename, unlink } from 'node:fs/promises';
import { CutoverError, isCutoverError, type ErrorCode } from '../../core/errors.ts';
import type { AdminBody, AdminResponse, AdminRoute } from './admin-protocol.ts';
import { parseBody } from './admin-requests.ts';

export interface AdminRequest<Body = unknown> {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Body;
}

export type AdminHandler = (request: AdminRequest) => Promise<unknown>;

interface Route { method: string; pattern: RegExp; keys: string[]; handler: AdminHandler }

const MAX_BODY_BYTES = 1_000_000;

const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = { usage: 400, config: 400, 'not-found': 404, internal: 500 };

/**
 * The daemon's admin API: JSON over HTTP on a unix socket under `.cutover/`, so only users who
 * can read that directory can drive the router. About ten fixed routes do not justify a web
 * framework; this is the whole dispatcher. It never throws: the daemon also runs the data
 * plane, so no admin request, however malformed, may take the process down.
 */
export class AdminServer {
  private readonly routes: Route[] = [];
  private server: Server | null = null;

  /**
   * One route of the admin protocol: its body is validated on receipt (a 400 naming the field
   * otherwise), and the handler must answer what the protocol says the client gets.
   */
  serve<R extends AdminRoute>(route: R, handler: (request: AdminRequest<AdminBody<R>>) => Promise<AdminResponse<R>>): this {
    const [method, path] = route.split(' ') as [string, string];
    return this.on(method, path, async (request) => handler({ ...request, body: parseBody(route, request.body) }));
  }

  /** The dispatcher under `serve`: a route by method and path, its body unchecked. */
  private on(method: string, path: string, handler: AdminHandler): this {
    const keys: string[] = [];
    const pattern = new RegExp(`^${path.replace(/:(\w+)/g, (_, key: string) => { keys.push(key); return '([^/]+)'; })}$`);
    this.routes.push({ method, pattern, keys, handler });
    return this;
  }

  async listen(socketPath: string): Promise<void> {
    // Bound under a name of its own, then renamed over the path: a daemon taking over from a
    // running one replaces its socket in one step (no moment with no socket there), and a
    // closing server, which unlinks the name it was bound to, never removes its successor's.
    const bound = `${socketPath}.${process.pid}`;
    await unlink(bound).catch(() => {});
    this.server = createServer((req, res) => {
      this.dispatch(req, res).catch((err) => {
        // Only reachable when the answer itself could not be written: drop the connection.
        res.destroy(err as Error);
      });
    });
    // A client that sends garbage gets a 400 from node's parser; it must not emit an error here.
    this.server.on('clientError', (_err, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(bound, () => resolve());
    });
    await chmod(bound, 0o600);
    await rename(bound, socketPath);
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.on('error', () => {});
    try {
      // Split by hand, not with new URL(): a target such as `//x/colors` would be read as a
      // host name, and an invalid one throws.
      const target = req.url ?? '/';
      const q = target.indexOf('?');
      const url = { pathname: q < 0 ? target : target.slice(0, q), searchParams: new URLSearchParams(q < 0 ? '' : target.slice(q + 1)) };
      const route = this.routes.find((r) => r.method === req.method && r.pattern.test(url.pathname));
      if (!route) throw new CutoverError('not-found', `no admin route ${req.method} ${url.pathname.slice(0, 200)}`);
      const match = route.pattern.exec(url.pathname)!;
      const params = Object.fromEntries(route.keys.map((k, i) => [k, decodeParam(match[i + 1]!)]));
      const body = parseJson(await readBody(req));
      const result = await route.handler({ method: req.method!, path: url.pathname, params, query: url.searchParams, body });
      // Only `GET /metrics` answers text: the Prometheus exposition, as scrapers expect it.
      if (typeof result === 'string') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(result);
        return;
      }
      send(res, 200, result ?? { ok: true });
    } catch (err) {
      const code: ErrorCode = isCutoverError(err) ? err.code : 'internal';
      const status = STATUS_BY_CODE[code] ?? 409;
      send(res, status, { error: { code, message: (err as Error)?.message ?? String(err), details: isCutoverError(err) ? err.details : undefined } });
    }
  }
}

function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new CutoverError('usage', `bad percent-encoding in the request path: ${JSON.stringify(raw.slice(0, 100))}`);
  }
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CutoverError('usage', `the request body is not valid JSON: ${(err as Error).message}`);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new CutoverError('usage', `admin request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
