import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { isCutoverError } from '../../core/errors.ts';
import { readKubeconfig, type KubeconfigFile } from './kubeconfig-cache.ts';
import { missingCluster, missingContext, noCurrentContext } from './kubeconfig-references.ts';

/**
 * How to reach and authenticate to the API server: what a read-only command needs from the
 * kubeconfig. Everything the generated client would apply for the same kubeconfig, for the
 * common ways of authenticating (bearer token, token file, client certificate, basic auth,
 * in-cluster service account).
 */
export interface ClusterAccess {
  /** Base URL without a trailing slash, e.g. `https://127.0.0.1:6443`. */
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** false only for `insecure-skip-tls-verify: true`. */
  rejectUnauthorized: boolean;
  /** `tls-server-name`: the name the server's certificate is checked against. */
  servername?: string;
  /** Request headers (Authorization, Impersonate-User), read anew per call: a token file may rotate. */
  headers(): Record<string, string>;
}

/** The access, or why the read-only path leaves this kubeconfig to the generated client. */
export type ClusterAccessResult = { access: ClusterAccess } | { unsupported: string };

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * Reads the kubeconfig the way kubectl and the generated client find it: $KUBECONFIG, else
 * ~/.kube/config, else the in-cluster service account; then `context` or the current context.
 *
 * Hand-written rather than loaded from @kubernetes/client-node because that import alone takes
 * seconds (it loads every generated API and model), which is what made `status` slow. It covers
 * the kubeconfigs that need no code to authenticate; anything else (exec plugins, auth-provider
 * plugins, a proxy, several merged files, or a kubeconfig it cannot read) is reported as
 * unsupported, and the caller then uses the generated client, which also gives the errors.
 * A kubeconfig that is not one (a list where a mapping belongs, a server that is a number) is
 * refused here, as the generated client's path refuses it.
 * The parsed file comes from kubeconfig-cache.ts (`options.cache`: whether it may be cached,
 * by default in a compiled build only).
 * @throws CutoverError('config') for a malformed kubeconfig, naming the file and the field
 */
export async function loadClusterAccess(context: string | undefined, env: NodeJS.ProcessEnv = process.env, options: { cache?: boolean } = {}): Promise<ClusterAccessResult> {
  const files = kubeconfigFiles(env);
  if (files.length > 1) return { unsupported: 'several files in $KUBECONFIG' };
  const file = files[0];
  if (!file) return !context && existsSync(`${SERVICE_ACCOUNT}/token`) ? { access: inCluster(env) } : { unsupported: 'no kubeconfig' };
  let doc: KubeconfigFile;
  try {
    doc = await readKubeconfig(file, context, env, options);
  } catch (err) {
    // A malformed kubeconfig is the user's to fix, with the same message the generated client's path gives (kubeconfig-shape.ts).
    if (isCutoverError(err)) throw err;
    return { unsupported: `cannot read ${file}: ${(err as Error).message}` };
  }
  return fromKubeconfig(doc, file, context);
}

/** The kubeconfig files kubectl reads: those $KUBECONFIG lists, else ~/.kube/config if it exists, else none. */
export function kubeconfigFiles(env: NodeJS.ProcessEnv): string[] {
  const files = (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  if (files.length > 0) return files;
  const home = env.HOME ?? homedir();
  return home && existsSync(join(home, '.kube', 'config')) ? [join(home, '.kube', 'config')] : [];
}

/**
 * The access the parsed kubeconfig `file` gives; relative file paths are relative to its
 * directory. A context that is not there, or one naming a cluster that is not, is the user's to
 * fix whichever loader reads the file (the generated client could only fail on it too, after
 * seconds of loading), so it is a config error here.
 * @throws CutoverError('config') naming the file and the missing entry
 */
export function fromKubeconfig(doc: KubeconfigFile, file: string, context?: string): ClusterAccessResult {
  const contextName = context ?? doc['current-context'];
  if (!contextName) throw noCurrentContext(file);
  const ctx = doc.contexts?.find((c) => c.name === contextName)?.context;
  if (!ctx) throw missingContext(file, contextName, context ? 'platform.context' : 'current-context');
  const cluster = doc.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  // kubeconfig-shape.ts has made sure every cluster entry has a server; the type test is for the compiler.
  if (!cluster || typeof cluster.server !== 'string') throw missingCluster(file, contextName, ctx.cluster ?? '');
  const user = doc.users?.find((u) => u.name === ctx.user)?.user;
  // The generated client applies no TLS settings at all without a user; leave that case to it.
  if (!user) return { unsupported: `context "${contextName}" names no user` };
  for (const plugin of ['exec', 'auth-provider'] as const) {
    if (user[plugin]) return { unsupported: `user ${plugin} plugin` };
  }
  if (cluster['proxy-url']) return { unsupported: 'a proxy-url' };
  // The generated client refuses plain HTTP unless TLS checks are off; so does every other verb.
  if (cluster.server.startsWith('http:') && cluster['insecure-skip-tls-verify'] !== true) return { unsupported: 'plain HTTP without insecure-skip-tls-verify' };
  const named = (path: unknown) => {
    if (typeof path !== 'string' || !path) return undefined;
    return readFileSync(isAbsolute(path) ? path : join(dirname(file), path));
  };
  const data = (value: unknown) => (typeof value === 'string' && value ? Buffer.from(value, 'base64') : undefined);
  try {
    // As kubectl does, a token file is read once, when the kubeconfig is loaded.
    const token = typeof user.token === 'string' && user.token ? user.token : named(user['token-file'])?.toString('utf8').trim();
    const basic = typeof user.username === 'string' && user.username ? Buffer.from(`${user.username}:${String(user.password ?? '')}`).toString('base64') : undefined;
    const impersonate = typeof user.as === 'string' && user.as ? user.as : undefined;
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    else if (basic) headers.authorization = `Basic ${basic}`;
    if (impersonate) headers['impersonate-user'] = impersonate;
    return {
      access: {
        server: cluster.server.replace(/\/$/, ''),
        // A file wins over inline data, as in the generated client.
        ca: named(cluster['certificate-authority']) ?? data(cluster['certificate-authority-data']),
        cert: named(user['client-certificate']) ?? data(user['client-certificate-data']),
        key: named(user['client-key']) ?? data(user['client-key-data']),
        rejectUnauthorized: cluster['insecure-skip-tls-verify'] !== true,
        servername: typeof cluster['tls-server-name'] === 'string' ? cluster['tls-server-name'] : undefined,
        headers: () => ({ ...headers }),
      },
    };
  } catch (err) {
    return { unsupported: `cannot read a file the kubeconfig names: ${(err as Error).message}` };
  }
}

/** The pod's service account: the API server's address from the environment, its CA and a token that the kubelet rotates. */
function inCluster(env: NodeJS.ProcessEnv): ClusterAccess {
  const host = env.KUBERNETES_SERVICE_HOST ?? '';
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  const scheme = ['80', '8080', '8001'].includes(port) ? 'http' : 'https';
  return {
    server: `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`,
    ca: existsSync(`${SERVICE_ACCOUNT}/ca.crt`) ? readFileSync(`${SERVICE_ACCOUNT}/ca.crt`) : undefined,
    rejectUnauthorized: true,
    headers: () => ({ authorization: `Bearer ${readFileSync(`${SERVICE_ACCOUNT}/token`, 'utf8').trim()}` }),
  };
}
