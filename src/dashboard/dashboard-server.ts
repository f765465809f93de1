import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CutoverError, isCutoverError, EXIT_CODES } from '../core/errors.ts';
import type { Color } from '../core/types.ts';
import type { AppCatalog } from './app-catalog.ts';
import type { AppView } from './app-view.ts';
import { readAsset, renderIndex } from './dashboard-assets.ts';
import { parseAction } from './dashboard-actions.ts';
import type { DashboardApp } from './dashboard-app.ts';
import { CSRF_HEADER, csrfMatches, isSameOrigin, SessionAuth, type Session } from './session-auth.ts';
import { isTrafficFeed, type TrafficSourceInfo } from './traffic-feed.ts';
import { CHART_POINTS, CHART_SPAN_MS, TrafficSeries, type TrafficPoint } from './traffic-series.ts';

export interface DashboardServerOptions {
  catalog: AppCatalog;
  /** `host:port`; port 0 picks a free one. Loopback unless the user asks otherwise. */
  listen: string;
  /** How often a watched app's view is re-read. */
  viewIntervalMs?: number;
}

const MAX_BODY_BYTES = 64 * 1024;
const HEARTBEAT_MS = 15_000;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
} as const;

/** What the page says about an app's charts: their source, and the last problem reading it. */
export type TrafficStatus = TrafficSourceInfo & { problem: string | null };

interface Watcher {
  app: DashboardApp;
  series: TrafficSeries;
  traffic: TrafficStatus;
  /** Open event streams, each with the session it belongs to (read-only is per session). */
  subscribers: Map<ServerResponse, Session>;
  /** A view read is in flight. */
  reading: boolean;
  lastView: string | null;
  viewTimer: NodeJS.Timeout | null;
  sampleTimer: NodeJS.Timeout | null;
  /** Bumped by every action, so the next view is pushed even when polling is slow. */
  stale: boolean;
  /** How many more samples may ask the source for its history first; 0 once it answered (or after HISTORY_ATTEMPTS failed reads). */
  historyAttempts: number;
}

/**
 * How many samples in a row may ask for a source's history before the dashboard gives up on it:
 * a Prometheus that is slow or restarting while the dashboard starts would otherwise leave the
 * charts without their past for as long as the dashboard runs.
 */
const HISTORY_ATTEMPTS = 10;

/**
 * The dashboard's HTTP server: the page and its assets, a small JSON API and Server-Sent Events
 * over the apps of one catalog. Every page and API call needs a session (401 otherwise); a
 * session comes only from a fresh access token (`mintUrl`); a state-changing call also needs
 * the session's CSRF token, a same-origin request and a session that is not read-only.
 */
export class DashboardServer {
  private readonly auth = new SessionAuth();
  private readonly options: Required<DashboardServerOptions>;
  private readonly watchers = new Map<string, Watcher>();
  private server: Server | null = null;
  private origin = '';
  private host = '';

  constructor(options: DashboardServerOptions) {
    this.options = { viewIntervalMs: 1_000, ...options };
  }

  /** Listens; idempotent. @throws CutoverError('usage') for a bad address, ('unreachable') when it cannot bind. */
  async start(): Promise<void> {
    if (this.server) return;
    const { host, port } = parseListen(this.options.listen);
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new CutoverError('unreachable', `the dashboard cannot listen on ${this.options.listen}: ${err.message}`, { cause: err })));
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const address = server.address() as AddressInfo;
    this.host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.origin = `http://${this.host}:${address.port}`;
    // Charts need history from before the page was opened: sample every app from the start.
    for (const app of await this.options.catalog.list()) this.watcher(app);
  }

  /** The URL with a fresh single-use access token. */
  mintUrl(options: { readOnly: boolean }): string {
    if (!this.server) throw new CutoverError('internal', 'dashboard server not started');
    return `${this.origin}/?token=${this.auth.mintToken(options)}`;
  }

  get address(): string {
    return this.origin;
  }

  async close(): Promise<void> {
    for (const w of this.watchers.values()) {
      if (w.viewTimer) clearTimeout(w.viewTimer);
      if (w.sampleTimer) clearTimeout(w.sampleTimer);
      for (const res of w.subscribers.keys()) res.end();
    }
    this.watchers.clear();
    const server = this.server;
    this.server = null;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await this.options.catalog.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.route(req, res);
    } catch (err) {
      if (res.headersSent) {
        res.end();
        return;
      }
      if (isCutoverError(err)) {
        const status = err.code === 'usage' || err.code === 'config' ? 400 : err.code === 'not-found' ? 404 : err.code === 'locked' ? 409 : err.code === 'internal' ? 500 : 409;
        sendJson(res, status, { error: { code: err.code, message: err.message, exitCode: EXIT_CODES[err.code], details: err.details } });
      } else {
        sendJson(res, 500, { error: { code: 'internal', message: (err as Error)?.message ?? String(err) } });
      }
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    if (!this.hostAllowed(req)) return sendText(res, 421, 'unknown host name for this dashboard');
    const token = url.searchParams.get('token');
    if (req.method === 'GET' && url.pathname === '/' && token !== null) {
      const session = this.auth.exchange(token);
      if (!session) return sendText(res, 401, 'this dashboard link has expired or was already used; run `cutover dashboard` for a fresh one');
      // The token leaves the address bar at once; from now on the cookie carries the session.
      const app = url.searchParams.get('app');
      res.writeHead(303, { ...SECURITY_HEADERS, 'set-cookie': SessionAuth.cookie(session), location: app ? `/?app=${encodeURIComponent(app)}` : '/' }).end();
      return;
    }
    const session = this.auth.session(req);
    if (!session) return sendText(res, 401, 'not signed in: open the URL that `cutover dashboard` prints');

    if (req.method === 'GET' && url.pathname === '/') return sendBody(res, 200, 'text/html; charset=utf-8', renderIndex({ csrf: session.csrf, readOnly: session.readOnly }));
    if (req.method === 'GET' && url.pathname.startsWith('/assets/')) {
      const asset = readAsset(url.pathname.slice('/assets/'.length));
      if (!asset) return sendText(res, 404, 'no such asset');
      return sendBody(res, 200, asset.type, asset.body);
    }
    if (req.method === 'GET' && url.pathname === '/api/session') return sendJson(res, 200, { readOnly: session.readOnly });
    if (req.method === 'GET' && url.pathname === '/api/apps') {
      const apps = await this.listApps();
      return sendJson(res, 200, { apps: apps.map((a) => ({ name: a.name, platform: a.platform, actions: a.actionable && !session.readOnly })) });
    }
    const match = /^\/api\/apps\/([^/]+)(\/events|\/actions)?$/.exec(url.pathname);
    if (!match) return sendJson(res, 404, { error: { code: 'not-found', message: `no route ${req.method} ${url.pathname}` } });
    const app = await this.findApp(decodeURIComponent(match[1]!));
    const sub = match[2];
    if (req.method === 'GET' && !sub) {
      const w = this.watcher(app);
      return sendJson(res, 200, { view: this.present(await app.view(), session), traffic: w.series.snapshot(), trafficSource: w.traffic });
    }
    if (req.method === 'GET' && sub === '/events') return this.subscribe(app, session, req, res);
    if (req.method === 'POST' && sub === '/actions') return this.act(app, session, req, res);
    return sendJson(res, 405, { error: { code: 'usage', message: `${req.method} is not allowed on ${url.pathname}` } });
  }

  /** Behind a loopback address only loopback names are accepted, so a DNS-rebound page cannot reach it. */
  private hostAllowed(req: IncomingMessage): boolean {
    if (!LOOPBACK_HOSTS.has(this.host) && !this.host.startsWith('127.')) return true;
    const header = req.headers.host ?? '';
    const name = header.startsWith('[') ? header.slice(0, header.indexOf(']') + 1) : header.split(':')[0]!;
    return LOOPBACK_HOSTS.has(name) || name.startsWith('127.');
  }

  /** The catalog's apps; watchers of apps that left it (a daemon went down) are stopped. */
  private async listApps(): Promise<DashboardApp[]> {
    const apps = await this.options.catalog.list();
    for (const [name, w] of this.watchers) {
      if (apps.includes(w.app)) continue;
      if (w.viewTimer) clearTimeout(w.viewTimer);
      if (w.sampleTimer) clearTimeout(w.sampleTimer);
      for (const res of w.subscribers.keys()) res.end();
      this.watchers.delete(name);
    }
    return apps;
  }

  private async findApp(name: string): Promise<DashboardApp> {
    const app = (await this.listApps()).find((a) => a.name === name);
    if (!app) throw new CutoverError('not-found', `no app "${name}" is visible to this dashboard`);
    return app;
  }

  private present(view: AppView, session: Session): AppView {
    return { ...view, actions: view.actions && !session.readOnly };
  }

  private async act(app: DashboardApp, session: Session, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!isSameOrigin(req, this.origin)) return sendJson(res, 403, { error: { code: 'refused', message: 'cross-origin request refused' } });
    if (!csrfMatches(session, req.headers[CSRF_HEADER])) return sendJson(res, 403, { error: { code: 'refused', message: 'missing or wrong CSRF token; reload the page' } });
    if (session.readOnly) return sendJson(res, 403, { error: { code: 'refused', message: 'this dashboard session is read-only' } });
    if (!app.actionable) return sendJson(res, 403, { error: { code: 'refused', message: `${app.name} is shown read-only here: run \`cutover dashboard\` with its config to act on it` } });
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return sendJson(res, 415, { error: { code: 'usage', message: 'actions take a JSON body' } });
    const action = parseAction(await readJson(req));
    const watcher = this.watcher(app);
    try {
      const result = await app.act(action);
      sendJson(res, 200, { ok: true, action: action.action, result });
    } finally {
      watcher.stale = true;
      this.pollView(watcher);
    }
  }

  private subscribe(app: DashboardApp, session: Session, req: IncomingMessage, res: ServerResponse): void {
    const w = this.watcher(app);
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
    res.write('retry: 2000\n\n');
    w.subscribers.set(res, session);
    sendEvent(res, 'traffic-source', w.traffic);
    sendEvent(res, 'traffic-history', w.series.snapshot());
    if (w.lastView) sendEvent(res, 'view', this.present(JSON.parse(w.lastView) as AppView, session));
    w.stale = true;
    this.pollView(w);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    req.on('close', () => {
      clearInterval(heartbeat);
      w.subscribers.delete(res);
    });
  }

  private watcher(app: DashboardApp): Watcher {
    let w = this.watchers.get(app.name);
    if (w && w.app === app) return w;
    w = { app, series: new TrafficSeries(), traffic: { ...app.traffic.source, problem: null }, subscribers: new Map(), reading: false, lastView: null, viewTimer: null, sampleTimer: null, stale: true, historyAttempts: HISTORY_ATTEMPTS };
    this.watchers.set(app.name, w);
    this.sample(w);
    return w;
  }

  private sample(w: Watcher): void {
    const feed = w.app.traffic;
    if (!this.server || !isTrafficFeed(feed)) return;
    // A source that keeps history (Prometheus) fills the window with what happened before the
    // dashboard started, oldest first and ahead of the live points. A read that fails is asked
    // again on the next samples; what arrives late goes in front of the live points already
    // taken, and open pages get the whole window again.
    const before = feed.history && w.historyAttempts > 0
      ? feed.history(Date.now(), CHART_SPAN_MS, CHART_POINTS).then((points) => {
        if (points === null) {
          w.historyAttempts--;
          return;
        }
        w.historyAttempts = 0;
        const late = !w.series.empty;
        w.series.backfill(points);
        if (late && points.length > 0) for (const res of w.subscribers.keys()) sendEvent(res, 'traffic-history', w.series.snapshot());
      }, () => { w.historyAttempts--; })
      : Promise.resolve();
    void before.then(() => feed.sample(Date.now())).catch((err: unknown) => ({ points: null, problem: (err as Error)?.message ?? String(err) })).then(({ points, problem }) => {
      if (points) {
        w.series.push(points);
        for (const res of w.subscribers.keys()) sendEvent(res, 'traffic', points satisfies Record<Color, TrafficPoint>);
      }
      if (problem !== w.traffic.problem) {
        w.traffic = { ...w.traffic, problem };
        for (const res of w.subscribers.keys()) sendEvent(res, 'traffic-source', w.traffic);
      }
    }).finally(() => {
      if (this.server && this.watchers.get(w.app.name) === w) w.sampleTimer = setTimeout(() => this.sample(w), feed.intervalMs);
    });
  }

  /** Re-reads the view while anyone watches it and pushes it when it changed. One read at a time. */
  private pollView(w: Watcher): void {
    if (w.viewTimer) clearTimeout(w.viewTimer);
    w.viewTimer = null;
    if (!this.server || (w.subscribers.size === 0 && !w.stale)) return;
    if (w.reading) return;
    w.reading = true;
    void w.app.view().then((view) => {
      const text = JSON.stringify({ ...view, generatedAt: 0 });
      if (text !== w.lastView || w.stale) {
        w.lastView = text;
        for (const [res, session] of w.subscribers) sendEvent(res, 'view', this.present(view, session));
      }
      w.stale = false;
    }).catch((err) => {
      for (const res of w.subscribers.keys()) sendEvent(res, 'problem', { message: (err as Error).message });
    }).finally(() => {
      w.reading = false;
      if (this.server && w.subscribers.size > 0) w.viewTimer = setTimeout(() => this.pollView(w), w.stale ? 0 : this.options.viewIntervalMs);
    });
  }
}

/** `host:port`, `[v6]:port` or a bare port. @throws CutoverError('usage') */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(listen) ?? (/^\d+$/.test(listen) ? [listen, undefined, '127.0.0.1', listen] : null);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65_535) throw new CutoverError('usage', `--listen: expected host:port (e.g. 127.0.0.1:0), found "${listen}"`);
  return { host: (m[1] ?? m[2])!, port };
}

function sendEvent(res: ServerResponse, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendBody(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

function sendText(res: ServerResponse, status: number, text: string): void {
  sendBody(res, status, 'text/plain; charset=utf-8', `${text}\n`);
}

function sendBody(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body) }).end(body);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new CutoverError('usage', `action body larger than ${MAX_BODY_BYTES} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new CutoverError('usage', `action body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new CutoverError('usage', 'action body is not JSON');
  }
}
