import { Agent, request, type IncomingMessage } from 'node:http';
import { CutoverError, EXIT_CODES, type ErrorCode } from '../../core/errors.ts';
import { ShapeMismatch } from '../../core/record-shape.ts';
import type { Color } from '../../core/types.ts';
import { RESPONSE_SHAPES, type AdminBody, type AdminQuery, type AdminResponse, type AdminRoute } from './admin-protocol.ts';

/** A route's path parameter, query and body (required exactly when the route takes one). */
export type SendOptions<R extends AdminRoute> = {
  color?: Color;
  query?: AdminQuery<R>;
  timeoutMs?: number;
} & (AdminBody<R> extends undefined ? { body?: undefined } : { body: AdminBody<R> });

type SendArgs<R extends AdminRoute> = AdminBody<R> extends undefined ? [options?: SendOptions<R>] : [options: SendOptions<R>];

const RESTART_HINT = 'if the daemon runs another cutover version, restart it with `cutover up`';

/**
 * Talks to the daemon's admin API over its unix socket.
 *
 * node:http rather than undici: this is one small JSON call to a local socket per command, and
 * importing undici costs more CPU than the rest of `cutover status` together (about 150 ms on a
 * 2-core machine, see docs/BENCHMARKS.md, cli-startup). node:http is already in the binary.
 */
export class AdminClient {
  private readonly agent: Agent;
  readonly socketPath: string;

  constructor(socketPath: string) {
    this.socketPath = socketPath;
    this.agent = new Agent({ keepAlive: true, keepAliveMsecs: 1_000, timeout: 1_000 });
  }

  /**
   * One route of the admin protocol (admin-protocol.ts): the body has the route's type, and an
   * answer the client reads fields of is checked before it is returned.
   * @throws CutoverError('unreachable') when no daemon answers, or its answer is not what the
   *   protocol says; otherwise the daemon's own error (a 400 for a bad body names the field).
   */
  async send<R extends AdminRoute>(route: R, ...[options]: SendArgs<R>): Promise<AdminResponse<R>> {
    const [method, template] = route.split(' ') as [Method, string];
    let path = template;
    if (path.includes(':color')) {
      if (!options?.color) throw new CutoverError('internal', `${route} needs a color`);
      path = path.replace(':color', encodeURIComponent(options.color));
    }
    if (options?.query) path += `?${new URLSearchParams(Object.entries(options.query as Record<string, number>).map(([k, v]) => [k, String(v)]))}`;
    const answer = await this.call<unknown>(method, path, options?.body, options?.timeoutMs);
    try {
      RESPONSE_SHAPES[route]?.(answer, '');
    } catch (err) {
      if (!(err instanceof ShapeMismatch)) throw err;
      throw new CutoverError('unreachable', `the cutover daemon's answer to ${route} is not what this cutover expects (${err.message}); ${RESTART_HINT}`, { cause: err, details: { route, field: err.path } });
    }
    return answer as AdminResponse<R>;
  }

  /**
   * The raw request under `send`: any method and path, its answer unchecked.
   * `timeoutMs` bounds each wait for the daemon (the answer's headers, then each part of its body).
   * @throws CutoverError('unreachable') when no daemon listens or it does not answer in time;
   *   otherwise the daemon's own error code.
   */
  async call<T>(method: Method, path: string, body?: unknown, timeoutMs = 120_000): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    let response: IncomingMessage;
    try {
      response = await new Promise<IncomingMessage>((resolve, reject) => {
        const req = request({
          socketPath: this.socketPath,
          agent: this.agent,
          method,
          path,
          headers: payload === undefined ? { host: 'cutover' } : { host: 'cutover', 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
          timeout: timeoutMs,
        }, resolve);
        req.once('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
        req.once('error', reject);
        req.end(payload);
      });
    } catch (err) {
      throw new CutoverError('unreachable', `the cutover daemon is not running (no answer on ${this.socketPath}); start it with \`cutover up\``, { cause: err });
    }
    const text = await readBody(response);
    const status = response.statusCode ?? 500;
    if (status < 400 && String(response.headers['content-type'] ?? '').startsWith('text/plain')) return text as T;
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      throw new CutoverError('unreachable', `the cutover daemon answered ${method} ${path} (${status}) with a body that is not JSON: ${JSON.stringify(text.slice(0, 100))}; ${RESTART_HINT}`);
    }
    if (status >= 400) throw daemonError(parsed, status, `${method} ${path}`);
    return parsed as T;
  }

  async isUp(): Promise<boolean> {
    try {
      // Unchecked: a daemon of another cutover version is still up (and `up` restarts it).
      await this.call('GET', '/status', undefined, 2_000);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}

type Method = 'GET' | 'PUT' | 'POST' | 'DELETE';

/**
 * The daemon's `{ error: { code, message, details } }` as the error it stands for. A code this
 * cutover does not know (another version) is kept as a plain failure, never as a cutover bug.
 */
function daemonError(parsed: unknown, status: number, request: string): CutoverError {
  const error = (typeof parsed === 'object' && parsed !== null ? (parsed as { error?: unknown }).error : undefined) as { code?: unknown; message?: unknown; details?: unknown } | undefined;
  const known = typeof error?.code === 'string' && Object.hasOwn(EXIT_CODES, error.code);
  const code: ErrorCode = known ? error!.code as ErrorCode : status === 400 ? 'usage' : status === 404 ? 'not-found' : status >= 500 ? 'internal' : 'refused';
  const said = typeof error?.message === 'string' ? error.message : `answered ${status}`;
  // A 400 is the daemon refusing what this side sent: say which request, the daemon names the field.
  const message = status === 400 ? `the cutover daemon rejected ${request}: ${said}` : typeof error?.message === 'string' ? said : `the cutover daemon ${said} to ${request}`;
  const details = typeof error?.details === 'object' && error.details !== null ? error.details as Record<string, unknown> : undefined;
  return new CutoverError(code, message, { details });
}

/** The request's `timeout` keeps running while the body arrives, so a stalled answer ends here too. */
function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.once('error', (err) => reject(new CutoverError('unreachable', `the cutover daemon's answer was cut off (${err.message})`, { cause: err })));
    response.once('aborted', () => reject(new CutoverError('unreachable', 'the cutover daemon closed the connection before its answer was complete')));
  });
}
