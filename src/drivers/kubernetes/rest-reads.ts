import type { V1Pod, V1PodList } from '@kubernetes/client-node';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { systemClock } from '../../core/deps.ts';
import { apiTimeout, isRetryable, RETRY_STATUS, type ApiCallPolicy } from './api-call-policy.ts';
import type { ClusterAccess } from './cluster-access.ts';
import { kube, kubeOptional } from './kube-errors.ts';
import { listingWhat, readingWhat, type KubeReads, type ReadableKind, type ReadableKinds } from './kube-reads.ts';

/** Where each kind lives in the API. */
const COLLECTION: Record<ReadableKind | 'Pod', string> = {
  Service: '/api/v1/namespaces/{ns}/services',
  Deployment: '/apis/apps/v1/namespaces/{ns}/deployments',
  ConfigMap: '/api/v1/namespaces/{ns}/configmaps',
  Lease: '/apis/coordination.k8s.io/v1/namespaces/{ns}/leases',
  Pod: '/api/v1/namespaces/{ns}/pods',
};

/**
 * An answer other than 2xx, in the shape of the generated client's ApiException (`code`, `body`),
 * so kube-errors.ts reads both the same way.
 */
export class KubeApiError extends Error {
  readonly code: number;
  readonly body: unknown;

  constructor(code: number, body: unknown) {
    super(`HTTP ${code}`);
    this.code = code;
    this.body = body;
  }
}

/** One GET's answer. */
interface Answer {
  status: number;
  body: string;
}

/**
 * KubeReads as plain GETs, with the generated client's deadline and retry policy
 * (api-call-policy.ts): one attempt is bounded by `timeoutMs` (connecting, headers and body), a
 * timed-out one is not repeated, and a refused or reset connection or a 429/502/503/504 is
 * retried `retries` times. A read-only command uses it so that it never imports the generated
 * client.
 *
 * Over HTTPS the reads share one TLS connection through HTTP/2, which every API server speaks:
 * `status` sends its seven GETs at once, and seven TLS handshakes were a third of its CPU time
 * beyond Node's own start-up. A server that does not offer h2 (a proxy in front of it) is read
 * over HTTP/1.1 with keep-alive connections, as is a plain-HTTP one.
 */
export class RestReads implements KubeReads {
  readonly namespace: string;
  private readonly access: ClusterAccess;
  private readonly policy: ApiCallPolicy;
  private readonly agent: http.Agent;
  /** The HTTP/2 session, null when the server offers only HTTP/1.1; undefined until the first call (and after it closed). */
  private session: Promise<http2.ClientHttp2Session | null> | undefined;
  private socket: tls.TLSSocket | undefined;
  private closed = false;
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(options: { access: ClusterAccess; namespace: string; policy: ApiCallPolicy }) {
    this.access = options.access;
    this.namespace = options.namespace;
    this.policy = options.policy;
    const { server, ca, cert, key, rejectUnauthorized, servername } = options.access;
    // node:https rather than undici: it is built in, so it costs a read-only command nothing to
    // load (undici is a few hundred milliseconds of module loading on a loaded machine, the
    // same order as a whole `kubectl get`). The parallel reads share keep-alive connections.
    this.agent = server.startsWith('https:')
      ? new https.Agent({ keepAlive: true, ca, cert, key, rejectUnauthorized, servername })
      : new http.Agent({ keepAlive: true });
  }

  read<K extends ReadableKind>(kind: K, name: string): Promise<ReadableKinds[K] | undefined> {
    return kubeOptional(readingWhat(kind, this.namespace, name), async () =>
      (await this.get(`${this.collection(kind)}/${encodeURIComponent(name)}`)) as ReadableKinds[K]);
  }

  async listPods(labelSelector: string, of: string): Promise<V1Pod[]> {
    const list = await kube(listingWhat(of), () => this.get(`${this.collection('Pod')}?labelSelector=${encodeURIComponent(labelSelector)}`));
    return (list as V1PodList).items ?? [];
  }

  /** Closes the pooled connections. */
  async close(): Promise<void> {
    this.closed = true;
    this.agent.destroy();
    this.socket?.destroy();
  }

  private collection(kind: ReadableKind | 'Pod'): string {
    return COLLECTION[kind].replace('{ns}', encodeURIComponent(this.namespace));
  }

  /**
   * The object at `path`. Identical GETs in flight at the same time share one request and one
   * parsed answer (status reads the state ConfigMap, which holds the history, for the record and
   * for the maintenance snapshot at once): callers only read what they get.
   */
  private get(path: string): Promise<unknown> {
    const pending = this.inFlight.get(path);
    if (pending) return pending;
    const answer = this.getOnce(path).finally(() => this.inFlight.delete(path));
    this.inFlight.set(path, answer);
    return answer;
  }

  private async getOnce(path: string): Promise<unknown> {
    const attempts = 1 + this.policy.retries;
    for (let attempt = 1; ; attempt++) {
      try {
        const { status, body } = await this.once(path);
        if (status >= 200 && status < 300) return JSON.parse(body);
        if (attempt < attempts && RETRY_STATUS.has(status)) {
          await (this.policy.clock ?? systemClock).sleep(this.policy.backoffMs * attempt);
          continue;
        }
        throw new KubeApiError(status, parseBody(body));
      } catch (err) {
        if (err instanceof KubeApiError || attempt >= attempts || !isRetryable(err)) throw err;
        await (this.policy.clock ?? systemClock).sleep(this.policy.backoffMs * attempt);
      }
    }
  }

  /** One attempt, under one deadline for all of it: connecting, the headers and the body, so a server that stalls mid-body is reported as hung too. */
  private async once(path: string): Promise<Answer> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(apiTimeout(this.policy.timeoutMs)), this.policy.timeoutMs);
    try {
      const aborted = new Promise<never>((_, reject) => deadline.signal.addEventListener('abort', () => reject(deadline.signal.reason), { once: true }));
      aborted.catch(() => {});
      const session = this.access.server.startsWith('https:') ? await Promise.race([this.http2Session(), aborted]) : null;
      return await (session ? this.onceHttp2(session, path, deadline.signal) : this.onceHttp1(path, deadline.signal));
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The shared HTTP/2 session, connected on first use. TLS is set up here, with ALPN offering h2
   * and http/1.1, so a server that picks http/1.1 is known before any request is sent on it.
   */
  private http2Session(): Promise<http2.ClientHttp2Session | null> {
    if (this.session) return this.session;
    const { server, ca, cert, key, rejectUnauthorized, servername } = this.access;
    const url = new URL(server);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const session = new Promise<http2.ClientHttp2Session | null>((resolve, reject) => {
      const socket = tls.connect({
        host, port: Number(url.port || 443), ca, cert, key, rejectUnauthorized,
        // As node:https does: SNI and the certificate check use the host name, never an IP address.
        servername: servername ?? (isIP(host) ? undefined : host),
        ALPNProtocols: ['h2', 'http/1.1'],
      });
      this.socket = socket;
      socket.once('secureConnect', () => {
        if (socket.alpnProtocol !== 'h2') {
          socket.destroy();
          resolve(null);
          return;
        }
        const h2 = http2.connect(server, { createConnection: () => socket });
        // A failed session fails its streams, which report it; the next call connects anew.
        h2.on('error', () => {});
        h2.once('close', () => { if (this.session === session) this.session = undefined; });
        resolve(h2);
      });
      socket.once('error', (err) => {
        if (this.session === session) this.session = undefined;
        reject(err);
      });
    });
    session.catch(() => {});
    if (!this.closed) this.session = session;
    return session;
  }

  private onceHttp2(session: http2.ClientHttp2Session, path: string, signal: AbortSignal): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const stream = session.request({ ':method': 'GET', ':path': path, accept: 'application/json', 'user-agent': 'cutover', ...this.access.headers() }, { signal });
      let status = 0;
      const chunks: Buffer[] = [];
      stream.on('response', (headers) => { status = Number(headers[':status'] ?? 0); });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => resolve({ status, body: Buffer.concat(chunks).toString('utf8') }));
      stream.on('error', (err: Error) => reject(signal.aborted ? signal.reason : err));
      stream.end();
    });
  }

  private onceHttp1(path: string, signal: AbortSignal): Promise<Answer> {
    const url = new URL(`${this.access.server}${path}`);
    const send = url.protocol === 'https:' ? https.request : http.request;
    return new Promise((resolve, reject) => {
      const req = send(url, {
        agent: this.agent,
        method: 'GET',
        headers: { accept: 'application/json', 'user-agent': 'cutover', ...this.access.headers() },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      const onAbort = () => req.destroy(signal.reason as Error);
      signal.addEventListener('abort', onAbort, { once: true });
      req.on('close', () => signal.removeEventListener('abort', onAbort));
      req.on('error', reject);
      req.end();
    });
  }
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
