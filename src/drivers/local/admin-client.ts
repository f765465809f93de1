import { Agent, request } from 'undici';
import { CutoverError, type ErrorCode } from '../../core/errors.ts';

/** Talks to the daemon's admin API over its unix socket. */
export class AdminClient {
  private readonly agent: Agent;
  readonly socketPath: string;

  constructor(socketPath: string) {
    this.socketPath = socketPath;
    this.agent = new Agent({ connect: { socketPath }, keepAliveTimeout: 1_000 });
  }

  /**
   * @throws CutoverError('unreachable') when no daemon listens; otherwise the daemon's own error code.
   */
  async call<T>(method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, body?: unknown, timeoutMs = 120_000): Promise<T> {
    let response;
    try {
      response = await request(`http://cutover${path}`, {
        method,
        dispatcher: this.agent,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    } catch (err) {
      throw new CutoverError('unreachable', `the cutover daemon is not running (no answer on ${this.socketPath}); start it with \`cutover up\``, { cause: err });
    }
    const text = await response.body.text();
    if (response.headers['content-type']?.toString().startsWith('text/plain')) return text as T;
    const parsed = text ? JSON.parse(text) : undefined;
    if (response.statusCode >= 400) {
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

  close(): Promise<void> {
    return this.agent.close();
  }
}
