import type { V1PolicyRule } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import type { Diagnosis } from '../../core/driver.ts';
import type { KubeClients } from './kube-clients.ts';
import { apiMessage } from './kube-errors.ts';
import { stateObjectName } from './object-names.ts';

/** One permission cutover needs in the app's namespace, and what for. */
interface Need {
  group: string;
  resource: string;
  verbs: string[];
  why: string;
}

/**
 * The least cutover needs, namespace-scoped. Server-side apply of an object that does not
 * exist yet creates it, which the API server authorizes as `create` as well as `patch`.
 */
const NEEDS: readonly Need[] = [
  { group: 'apps', resource: 'deployments', verbs: ['get', 'list', 'create', 'patch', 'delete'], why: 'the per-color and maintenance Deployments' },
  { group: 'apps', resource: 'deployments/scale', verbs: ['get', 'patch'], why: 'scaling a color down at retire and up for a rollback' },
  { group: '', resource: 'services', verbs: ['get', 'list', 'create', 'patch'], why: 'the color in the active Service\'s selector, and the preview Service' },
  { group: 'discovery.k8s.io', resource: 'endpointslices', verbs: ['get', 'list'], why: 'the proof that traffic reaches only the new color' },
  { group: '', resource: 'pods', verbs: ['get', 'list'], why: 'readiness, restarts and crash loops of each color' },
  { group: '', resource: 'pods/portforward', verbs: ['get', 'create'], why: 'health checks from outside the cluster' },
  { group: '', resource: 'pods/log', verbs: ['get'], why: '`cutover logs` and the evidence of a failed rollout' },
  { group: '', resource: 'events', verbs: ['list'], why: 'why a rollout is stuck' },
  { group: '', resource: 'configmaps', verbs: ['get', 'create', 'update', 'patch', 'delete'], why: 'the state ConfigMap <app>-cutover, the maintenance banner, and the maintenance page server\'s config <app>-maintenance' },
  { group: 'coordination.k8s.io', resource: 'leases', verbs: ['get', 'create', 'update'], why: 'the operation lock (Lease <app>-cutover)' },
  { group: 'batch', resource: 'jobs', verbs: ['get', 'create', 'delete'], why: 'platform.migrationJob' },
  { group: 'autoscaling', resource: 'horizontalpodautoscalers', verbs: ['list', 'create', 'patch', 'delete'], why: 'an HPA follows the live color' },
];

/** The Role's rules, one per API group and resource. */
export function cutoverRules(): V1PolicyRule[] {
  return NEEDS.map((n) => ({ apiGroups: [n.group], resources: [n.resource], verbs: [...n.verbs] }));
}

/** `cutover rbac`: a Role with the least cutover needs and a RoleBinding to `serviceAccount`, as YAML. */
export function rbacManifests(app: string, namespace: string, serviceAccount: string): string {
  const name = stateObjectName(app);
  const role = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'cutover' } },
    rules: cutoverRules(),
  };
  const binding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'cutover' } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name: serviceAccount, namespace }],
  };
  const why = NEEDS.map((n) => `#   ${`${n.group || 'core'}/${n.resource}`.padEnd(42)} ${n.why}`).join('\n');
  return `# The least cutover needs in namespace ${namespace}, and what for:\n${why}\n---\n${stringify(role)}---\n${stringify(binding)}`;
}

/**
 * Asks the API server, with one SelfSubjectAccessReview per resource and verb, what the
 * kubeconfig's user may do in `namespace`, and names every missing verb. Never throws.
 */
export async function checkRbac(clients: KubeClients, namespace: string): Promise<Diagnosis> {
  const auth = clients.authorization;
  const missing: string[] = [];
  try {
    const checks = NEEDS.flatMap((n) => n.verbs.map((verb) => ({ n, verb })));
    const answers = await Promise.all(checks.map(async ({ n, verb }) => {
      const [resource, subresource] = n.resource.split('/');
      const review = await auth.createSelfSubjectAccessReview({
        body: { spec: { resourceAttributes: { namespace, group: n.group, resource, subresource, verb } } },
      });
      return { n, verb, allowed: review.status?.allowed === true };
    }));
    const byResource = new Map<string, string[]>();
    for (const a of answers.filter((x) => !x.allowed)) {
      const key = `${a.n.group ? `${a.n.group}/` : ''}${a.n.resource}`;
      byResource.set(key, [...(byResource.get(key) ?? []), a.verb]);
    }
    for (const [resource, verbs] of byResource) missing.push(`${verbs.join(', ')} on ${resource}`);
  } catch (err) {
    return { check: 'rbac', verdict: 'warning', detail: `could not ask the API server what this user may do: ${apiMessage(err)}` };
  }
  if (missing.length === 0) return { check: 'rbac', verdict: 'ok', detail: `the kubeconfig's user has every right cutover needs in ${namespace}` };
  return {
    check: 'rbac',
    verdict: 'problem',
    detail: `the kubeconfig's user lacks rights cutover needs in ${namespace}: missing ${missing.join('; ')}`,
    fix: '`cutover rbac` prints the Role and RoleBinding to apply (kubectl apply -f -)',
  };
}
