import type { V1Pod, V1PodList } from '@kubernetes/client-node';
import http from 'node:http';
import https from 'node:https';
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

/**
 * KubeReads as plain GETs, with the generated client's deadline and retry policy
 * (api-call-policy.ts): one attempt is bounded by `timeoutMs` (headers and body), a timed-out
 * one is not repeated, and a refused or reset connection or a 429/502/503/504 is retried
 * `retries` times. A read-only command uses it so that it never imports the generated client.
 */
export class RestReads implements KubeReads {
  readonly namespace: string;
  private readonly access: ClusterAccess;
  private readonly policy: ApiCallPolicy;
  private readonly agent: http.Agent;

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
    this.agent.destroy();
  }

  private collection(kind: ReadableKind | 'Pod'): string {
    return COLLECTION[kind].replace('{ns}', encodeURIComponent(this.namespace));
  }

  private async get(path: string): Promise<unknown> {
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

  private once(path: string): Promise<{ status: number; body: string }> {
    const url = new URL(`${this.access.server}${path}`);
    const send = url.protocol === 'https:' ? https.request : http.request;
    return new Promise((resolve, reject) => {
      // One deadline for the whole attempt: connecting, the headers and the body, so a server
      // that stalls mid-body is reported as hung too.
      const timer = setTimeout(() => req.destroy(apiTimeout(this.policy.timeoutMs)), this.policy.timeoutMs);
      const req = send(url, {
        agent: this.agent,
        method: 'GET',
        headers: { accept: 'application/json', 'user-agent': 'cutover', ...this.access.headers() },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
      });
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
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
