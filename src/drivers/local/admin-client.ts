import { Agent, request, type IncomingMessage } from 'node:http';
import { CutoverError, type ErrorCode } from '../../core/errors.ts';

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
   * `timeoutMs` bounds each wait for the daemon (the answer's headers, then each part of its body).
   * @throws CutoverError('unreachable') when no daemon listens or it does not answer in time;
   *   otherwise the daemon's own error code.
   */
  async call<T>(method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, body?: unknown, timeoutMs = 120_000): Promise<T> {
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
    if (String(response.headers['content-type'] ?? '').startsWith('text/plain')) return text as T;
    const parsed = text ? JSON.parse(text) : undefined;
    if ((response.statusCode ?? 500) >= 400) {
      const error = parsed?.error ?? {};
      throw new CutoverError((error.code as ErrorCode) ?? 'internal', error.message ?? `daemon answered ${response.statusCode}`, { details: error.details });
    }
    return parsed as T;
  }

  async isUp(): Promise<boolean> {
    try {
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
