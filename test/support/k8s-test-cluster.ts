import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  AppsV1Api,
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  KubeConfig,
  type V1Pod,
} from '@kubernetes/client-node';

/**
 * Access to the control plane started by scripts/k8s-testenv (run-tests.sh exports
 * KUBECONFIG and puts its kubectl first on PATH). Test-only.
 */
export interface TestCluster {
  readonly kc: KubeConfig;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly batch: BatchV1Api;
  readonly discovery: DiscoveryV1Api;
  readonly coordination: CoordinationV1Api;
  readonly custom: CustomObjectsApi;
  /** Creates a namespace with a unique name; cleanup() deletes it. */
  createNamespace(prefix: string): Promise<string>;
  /** Runs kubectl (the independent witness) and resolves with its output; rejects on non-zero exit. */
  kubectl(args: readonly string[]): Promise<string>;
  /**
   * Points `port` of a fake (kwok) pod at a real server on 127.0.0.1:`targetPort`, using
   * kwok's PortForward resource. Port-forward through the API server then reaches it.
   */
  routePodPort(namespace: string, pod: string, port: number, targetPort: number): Promise<void>;
  /** Deletes every namespace created here, without waiting for them to be gone. */
  cleanup(): Promise<void>;
}

export function connectTestCluster(): TestCluster {
  if (!process.env.KUBECONFIG) {
    throw new Error('KUBECONFIG is not set: run the k8s suite with `npm run test:k8s` (scripts/k8s-testenv/run-tests.sh)');
  }
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const namespaces: string[] = [];

  return {
    kc,
    core,
    apps: kc.makeApiClient(AppsV1Api),
    batch: kc.makeApiClient(BatchV1Api),
    discovery: kc.makeApiClient(DiscoveryV1Api),
    coordination: kc.makeApiClient(CoordinationV1Api),
    custom,
    async createNamespace(prefix) {
      const name = `${prefix}-${randomBytes(3).toString('hex')}`;
      await core.createNamespace({ body: { metadata: { name } } });
      namespaces.push(name);
      return name;
    },
    kubectl(args) {
      return new Promise((resolve, reject) => {
        execFile('kubectl', [...args], { timeout: 30_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
          if (err) reject(new Error(`kubectl ${args.join(' ')} failed: ${stderr || err.message}`));
          else resolve(stdout);
        });
      });
    },
    async routePodPort(namespace, pod, port, targetPort) {
      await custom.createNamespacedCustomObject({
        group: 'kwok.x-k8s.io',
        version: 'v1alpha1',
        namespace,
        plural: 'portforwards',
        body: {
          apiVersion: 'kwok.x-k8s.io/v1alpha1',
          kind: 'PortForward',
          metadata: { name: pod, namespace },
          spec: { forwards: [{ ports: [port], target: { address: '127.0.0.1', port: targetPort } }] },
        },
      });
    },
    async cleanup() {
      await Promise.allSettled(namespaces.splice(0).map((name) => core.deleteNamespace({ name })));
    },
  };
}

/** Polls `probe` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`${what} did not happen within ${timeoutMs}ms${why}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function isPodReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}
