import { CutoverError } from '../../core/errors.ts';

/*
 * A kubeconfig's context that is not there, or one naming a cluster that is not: the errors
 * both kubeconfig readers give (cluster-access.ts for the read-only path, kube-clients.ts for
 * the generated client's), so a user sees the same message whichever path a command takes.
 * No packages: the read-only path imports this on every `status`.
 */

/** Where the kubeconfig came from, as the messages name it: the file, the list $KUBECONFIG merges, or none. */
export function kubeconfigLabel(files: readonly string[]): string {
  if (files.length === 0) return '(none: $KUBECONFIG is unset and ~/.kube/config does not exist)';
  return files.length === 1 ? files[0]! : `$KUBECONFIG (${files.join(', ')})`;
}

/** No context was asked for and the kubeconfig has no current one. */
export function noCurrentContext(label: string): CutoverError {
  return new CutoverError('config', `kubeconfig ${label} sets no current-context and platform.context names none: set one (kubectl config use-context) or name it in cutover.yaml`, { details: { file: label } });
}

/** The context asked for (by platform.context, or as the current-context) is not in the kubeconfig. */
export function missingContext(label: string, context: string, from: 'platform.context' | 'current-context'): CutoverError {
  return new CutoverError('config', `kubeconfig ${label} has no context "${context}" (${from === 'platform.context' ? 'platform.context' : 'its current-context'}); kubectl config get-contexts lists those it has`, {
    details: { file: label, context, ...(from === 'platform.context' ? { path: 'platform.context' } : {}) },
  });
}

/** The context names a cluster the kubeconfig does not define. */
export function missingCluster(label: string, context: string, cluster: string): CutoverError {
  return new CutoverError('config', `kubeconfig ${label}: context "${context}" names cluster "${cluster}", which it does not define`, { details: { file: label, context, cluster } });
}
