import {
  ApiException,
  AppsV1Api,
  AuthorizationV1Api,
  AutoscalingV2Api,
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  createConfiguration,
  KubeConfig,
  KubernetesObjectApi,
  ServerConfiguration,
} from '@kubernetes/client-node';
import { CutoverError } from '../../core/errors.ts';
import { BoundedHttpLibrary, DEFAULT_API_CALL_POLICY, type ApiCallPolicy } from './bounded-http.ts';

/** The API groups the driver talks to, all from one kubeconfig. */
export interface KubeClients {
  readonly kc: KubeConfig;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly autoscaling: AutoscalingV2Api;
  readonly authorization: AuthorizationV1Api;
  readonly batch: BatchV1Api;
  readonly discovery: DiscoveryV1Api;
  readonly coordination: CoordinationV1Api;
  /** Generic access, used for server-side apply. */
  readonly objects: KubernetesObjectApi;
}

/**
 * Loads cluster access the way kubectl does: $KUBECONFIG (or ~/.kube/config, or the in-cluster
 * service account), then switches to `context` when one is configured.
 * @throws CutoverError('config') when the kubeconfig or the context does not exist.
 */
export function connectCluster(context?: string, policy: ApiCallPolicy = DEFAULT_API_CALL_POLICY): KubeClients {
  const kc = new KubeConfig();
  try {
    kc.loadFromDefault();
  } catch (cause) {
    throw new CutoverError('config', `could not load a kubeconfig ($KUBECONFIG or ~/.kube/config): ${(cause as Error).message}`, { cause });
  }
  if (context) {
    if (!kc.getContexts().some((c) => c.name === context)) {
      const known = kc.getContexts().map((c) => c.name).join(', ') || 'none';
      throw new CutoverError('config', `kubeconfig has no context "${context}" (platform.context); known contexts: ${known}`);
    }
    kc.setCurrentContext(context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new CutoverError('config', `kubeconfig context "${kc.getCurrentContext()}" names no cluster`);
  // As kc.makeApiClient does, but every call goes through the bounded HTTP layer.
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kc },
    httpApi: new BoundedHttpLibrary(policy),
  });
  const objects = new KubernetesObjectApi(configuration);
  (objects as unknown as { setDefaultNamespace(kc: KubeConfig): void }).setDefaultNamespace(kc);
  return {
    kc,
    core: new CoreV1Api(configuration),
    apps: new AppsV1Api(configuration),
    autoscaling: new AutoscalingV2Api(configuration),
    authorization: new AuthorizationV1Api(configuration),
    batch: new BatchV1Api(configuration),
    discovery: new DiscoveryV1Api(configuration),
    coordination: new CoordinationV1Api(configuration),
    objects,
  };
}

/** The HTTP status of an API error, or undefined for network failures and bugs. */
export function httpStatus(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

export const isNotFound = (err: unknown) => httpStatus(err) === 404;
export const isConflict = (err: unknown) => httpStatus(err) === 409;

/** The API server's own message (`deployments.apps "x" not found`) rather than the client's dump. */
export function apiMessage(err: unknown): string {
  if (err instanceof ApiException) {
    const body: unknown = typeof err.body === 'string' ? safeJson(err.body) : err.body;
    if (body && typeof body === 'object' && 'message' in body && typeof body.message === 'string') return body.message;
    return `HTTP ${err.code}`;
  }
  if (err instanceof Error) {
    const code = (err as { code?: string }).code;
    return code && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Turns a failed API call into a CutoverError that says what cutover was doing. 404 becomes
 * 'not-found', 401/403 'config' (the kubeconfig lacks rights), anything without an HTTP
 * status 'unreachable'. CutoverErrors pass through unchanged.
 */
export function kubeError(err: unknown, doing: string): CutoverError {
  if (err instanceof CutoverError) return err;
  const status = httpStatus(err);
  const message = `${doing}: ${apiMessage(err)}`;
  if (status === undefined) return new CutoverError('unreachable', message, { cause: err });
  if (status === 404) return new CutoverError('not-found', message, { cause: err, details: { status } });
  if (status === 401 || status === 403) {
    return new CutoverError('config', `${message} (the kubeconfig's user lacks this right)`, { cause: err, details: { status } });
  }
  return new CutoverError('operation-failed', message, { cause: err, details: { status } });
}

/** Runs `call`, converting failures with kubeError. */
export async function kube<T>(doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw kubeError(err, doing);
  }
}

/** Like kube(), but a 404 resolves to undefined. */
export async function kubeOptional<T>(doing: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw kubeError(err, doing);
  }
}
