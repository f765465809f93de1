import type { V1Pod, V1PodList } from '@kubernetes/client-node';
import { Agent, request } from 'undici';
import { apiTimeout, ApiTimeoutError, isRetryable, RETRY_STATUS, sleep, type ApiCallPolicy } from './api-call-policy.ts';
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
 * KubeReads as plain GETs over undici, with the generated client's deadline and retry policy
 * (api-call-policy.ts): one attempt is bounded by `timeoutMs` (headers and body), a timed-out
 * one is not repeated, and a refused or reset connection or a 429/502/503/504 is retried
 * `retries` times. A read-only command uses it so that it never imports the generated client.
 */
export class RestReads implements KubeReads {
  readonly namespace: string;
  private readonly access: ClusterAccess;
  private readonly policy: ApiCallPolicy;
  private readonly agent: Agent;

  constructor(options: { access: ClusterAccess; namespace: string; policy: ApiCallPolicy }) {
    this.access = options.access;
    this.namespace = options.namespace;
    this.policy = options.policy;
    const { ca, cert, key, rejectUnauthorized, servername } = options.access;
    this.agent = new Agent({ connect: { ca, cert, key, rejectUnauthorized, servername } });
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
  close(): Promise<void> {
    return this.agent.close();
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
          await sleep(this.policy.backoffMs * attempt);
          continue;
        }
        throw new KubeApiError(status, parseBody(body));
      } catch (err) {
        if (err instanceof KubeApiError || attempt >= attempts || !isRetryable(err)) throw err;
        await sleep(this.policy.backoffMs * attempt);
      }
    }
  }

  private async once(path: string): Promise<{ status: number; body: string }> {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(apiTimeout(this.policy.timeoutMs)), this.policy.timeoutMs);
    try {
      const response = await request(`${this.access.server}${path}`, {
        dispatcher: this.agent,
        method: 'GET',
        headers: { accept: 'application/json', 'user-agent': 'cutover', ...this.access.headers() },
        signal: timeout.signal,
      });
      // The body is read under the same deadline: a server that stalls mid-body is hung too.
      return { status: response.statusCode, body: await response.body.text() };
    } catch (err) {
      if (timeout.signal.reason instanceof ApiTimeoutError) throw timeout.signal.reason;
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
