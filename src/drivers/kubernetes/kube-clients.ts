import {
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
import { readFileSync } from 'node:fs';
import { CutoverError } from '../../core/errors.ts';
import { DEFAULT_API_CALL_POLICY, type ApiCallPolicy } from './api-call-policy.ts';
import { BoundedHttpLibrary } from './bounded-http.ts';
import { kubeconfigFiles } from './cluster-access.ts';
import { parseKubeconfig } from './kubeconfig-shape.ts';
import { kubeconfigLabel, missingCluster, missingContext, noCurrentContext } from './kubeconfig-references.ts';

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
 * @throws CutoverError('config') when the kubeconfig or the context does not exist, or a
 *   kubeconfig file is malformed (naming the file and the field, kubeconfig-shape.ts).
 */
export function connectCluster(context?: string, policy: ApiCallPolicy = DEFAULT_API_CALL_POLICY): KubeClients {
  // Checked by the read-only path's rules first, so a malformed file gets the message `status`
  // gives (file and field) rather than a TypeError from inside the loader.
  const files = kubeconfigFiles(process.env);
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // the loader below says why it cannot be read
    }
    parseKubeconfig(file, text);
  }
  const kc = new KubeConfig();
  try {
    kc.loadFromDefault();
  } catch (cause) {
    throw new CutoverError('config', `could not load a kubeconfig ($KUBECONFIG or ~/.kube/config): ${(cause as Error).message}`, { cause });
  }
  // The same refusals, in the same words, as the read-only path's (kubeconfig-references.ts).
  // Without a file the loader has made a default context (in-cluster or localhost), left to it.
  const label = kubeconfigLabel(files);
  if (context && !kc.getContexts().some((c) => c.name === context)) throw missingContext(label, context, 'platform.context');
  if (context) kc.setCurrentContext(context);
  const current = kc.getCurrentContext();
  if (files.length > 0 && !current) throw noCurrentContext(label);
  const chosen = kc.getContextObject(current);
  if (files.length > 0 && !chosen) throw missingContext(label, current, 'current-context');
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw missingCluster(label, current, chosen?.cluster ?? '');
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
