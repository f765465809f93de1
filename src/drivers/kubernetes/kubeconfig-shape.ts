import { parseDocument } from 'yaml';
import { CutoverError } from '../../core/errors.ts';
import { ShapeMismatch, arrayOf, boolean, nonEmptyString, nullable, object, optional, string, type Shape } from '../../core/record-shape.ts';
import type { KubeconfigFile } from './kubeconfig-cache.ts';

// Every field kubectl's loader types, with the types it gives them; other keys (extensions,
// preferences, as-groups, ...) are kept and not checked. The generated client's loader refuses
// a cluster with no server, a context with no cluster and an entry with no name anywhere in the
// file, whichever context is used, so this refuses them too: both paths then agree.
const optionalString = optional(string);
const optionalMapping = optional(object({}));
/** kubectl writes an empty list as `clusters: null`; `null` and absent both mean none. */
const listOf = <T>(item: Shape<T>) => optional(nullable(arrayOf(item)));

const cluster = object({
  name: nonEmptyString,
  cluster: object({
    server: nonEmptyString,
    'certificate-authority': optionalString,
    'certificate-authority-data': optionalString,
    'insecure-skip-tls-verify': optional(boolean),
    'tls-server-name': optionalString,
    'proxy-url': optionalString,
  }),
});

const context = object({
  name: nonEmptyString,
  context: object({ cluster: nonEmptyString, user: optionalString, namespace: optionalString }),
});

const user = object({
  name: nonEmptyString,
  user: optional(object({
    token: optionalString,
    'token-file': optionalString,
    'client-certificate': optionalString,
    'client-certificate-data': optionalString,
    'client-key': optionalString,
    'client-key-data': optionalString,
    username: optionalString,
    password: optionalString,
    as: optionalString,
    exec: optionalMapping,
    'auth-provider': optionalMapping,
  })),
});

const kubeconfig = object({
  'current-context': optionalString,
  clusters: listOf(cluster),
  contexts: listOf(context),
  users: listOf(user),
});

/**
 * The kubeconfig `text` read from `file`, parsed and checked. Shared by the read-only path
 * (kubeconfig-cache.ts, which imports this module only on a cache miss, for the YAML parser)
 * and the generated client's (kube-clients.ts), so a malformed file gives the same message
 * whichever path a command takes.
 * @throws CutoverError('config') naming `file` and the first field that is off, or the YAML error
 */
export function parseKubeconfig(file: string, text: string): KubeconfigFile {
  // In the words cutover.yaml's syntax errors use (config/load.ts).
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    const lines = document.errors.map((e) => `line ${e.linePos?.[0].line ?? '?'}, column ${e.linePos?.[0].col ?? '?'}: ${e.message.split('\n')[0]}`);
    throw new CutoverError('config', `kubeconfig ${file} is not valid YAML:\n  ${lines.join('\n  ')}`, { details: { file } });
  }
  return checkKubeconfig(file, document.toJS());
}

/**
 * `doc` as a kubeconfig, once it has the shape of one. An empty file is refused too (kubectl
 * reads it as an empty kubeconfig, but the generated client's loader fails on it).
 * @throws CutoverError('config') naming `file` and the first field that is off
 */
export function checkKubeconfig(file: string, doc: unknown): KubeconfigFile {
  if (doc === undefined || doc === null) throw new CutoverError('config', `kubeconfig ${file}: the file is empty (expected a mapping with clusters, contexts and users)`, { details: { file } });
  try {
    return kubeconfig(doc, '') as KubeconfigFile;
  } catch (cause) {
    if (cause instanceof ShapeMismatch) throw new CutoverError('config', `kubeconfig ${file}: ${cause.message}`, { cause, details: { file, path: cause.path } });
    throw cause;
  }
}
