import { readFileSync } from 'node:fs';
import type { V1Container, V1Deployment } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { CutoverError } from '../../core/errors.ts';
import type { Color } from '../../core/types.ts';
import {
  deploymentName,
  FIELD_MANAGER,
  FLAGS_ENV,
  LABEL_APP,
  LABEL_COLOR,
  LABEL_MANAGED_BY,
  LABEL_VERSION,
  VERSION_ANNOTATION,
  versionLabel,
} from './object-names.ts';


export interface RenderInput {
  app: string;
  namespace: string;
  color: Color;
  version: string;
  /** The image reference with ${version} already substituted. */
  image: string;
  replicas: number;
  flags: Record<string, unknown>;
  progressDeadlineSeconds: number;
  /** Container that gets the image and the flags; default the first. */
  container?: string;
}

/**
 * Reads a YAML file that must hold exactly one object of `kind`.
 * @throws CutoverError('config') naming the file and what was wrong.
 */
export function readTemplate(path: string, kind: 'Deployment' | 'Job'): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new CutoverError('config', `cannot read the ${kind} template ${path}: ${(cause as Error).message}`, { cause });
  }
  const docs = parseAllDocuments(text).filter((d) => d.contents !== null);
  const errors = docs.flatMap((d) => d.errors);
  if (errors.length > 0) throw new CutoverError('config', `${path} is not valid YAML: ${errors[0]!.message.split('\n')[0]}`);
  const objects = docs.map((d) => d.toJS() as Record<string, unknown>);
  const matching = objects.filter((o) => o && o.kind === kind);
  if (matching.length !== 1) {
    const kinds = objects.map((o) => String(o?.kind ?? '?')).join(', ') || 'nothing';
    throw new CutoverError('config', `${path} must hold exactly one ${kind}; found ${kinds}`);
  }
  return matching[0]!;
}

/**
 * Builds the Deployment of one color from the user's template. Everything cutover depends on
 * is set here and wins over the template: name, namespace, labels app/color/version on the
 * Deployment and its pods, a selector on app and color only (a Deployment's selector cannot
 * change, and the version does with every release), the image, the replicas, the flags and
 * the progress deadline. The rest of the template (probes, resources, volumes...) is kept.
 * Pure; @throws CutoverError('config') when the template has no containers or lacks `container`.
 */
export function renderDeployment(template: Record<string, unknown>, input: RenderInput): V1Deployment {
  const base = structuredClone(template) as V1Deployment;
  const labels = {
    [LABEL_APP]: input.app,
    [LABEL_COLOR]: input.color,
    [LABEL_VERSION]: versionLabel(input.version),
    [LABEL_MANAGED_BY]: FIELD_MANAGER,
  };
  const podSpec = base.spec?.template?.spec;
  const containers = podSpec?.containers ?? [];
  if (containers.length === 0) throw new CutoverError('config', 'the Deployment template has no spec.template.spec.containers');
  const target = pickContainer(containers, input.container);
  const patched: V1Container[] = containers.map((c) => {
    if (c !== target) return c;
    const env = (c.env ?? []).filter((e) => e.name !== FLAGS_ENV);
    env.push({ name: FLAGS_ENV, value: JSON.stringify(input.flags) });
    return { ...c, image: input.image, env };
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      ...base.metadata,
      name: deploymentName(input.app, input.color),
      namespace: input.namespace,
      labels: { ...base.metadata?.labels, ...labels },
      annotations: { ...base.metadata?.annotations, [VERSION_ANNOTATION]: input.version },
      // Server-side apply refuses objects that carry these.
      resourceVersion: undefined,
      uid: undefined,
      managedFields: undefined,
      creationTimestamp: undefined,
    },
    spec: {
      ...base.spec,
      replicas: input.replicas,
      progressDeadlineSeconds: input.progressDeadlineSeconds,
      selector: { matchLabels: { [LABEL_APP]: input.app, [LABEL_COLOR]: input.color } },
      template: {
        ...base.spec?.template,
        metadata: {
          ...base.spec?.template?.metadata,
          labels: { ...base.spec?.template?.metadata?.labels, ...labels },
          annotations: { ...base.spec?.template?.metadata?.annotations, [VERSION_ANNOTATION]: input.version },
        },
        spec: { ...podSpec!, containers: patched },
      },
    },
  };
}

export function pickContainer(containers: V1Container[], name: string | undefined): V1Container {
  if (!name) return containers[0]!;
  const found = containers.find((c) => c.name === name);
  if (!found) {
    throw new CutoverError('config', `the template has no container "${name}" (platform.container); it has ${containers.map((c) => c.name).join(', ')}`);
  }
  return found;
}

/**
 * Checks, before anything changes, that the Deployment template exists, parses, holds one
 * Deployment with the container cutover sets the image on, and that this container declares a
 * port (or platform.port names one by number). Reads only the file.
 * @throws CutoverError('config') naming the file and what is wrong.
 */
export function checkDeploymentTemplate(path: string, container: string | undefined, port: number | string | undefined): string {
  const template = readTemplate(path, 'Deployment') as { spec?: { template?: { spec?: { containers?: V1Container[] } } } };
  const containers = template.spec?.template?.spec?.containers ?? [];
  if (containers.length === 0) throw new CutoverError('config', `${path} has no containers (spec.template.spec.containers)`, { details: { path: 'platform.deployment' } });
  const chosen = pickContainer(containers, container);
  const ports = chosen.ports ?? [];
  if (typeof port !== 'number' && ports.length === 0) {
    throw new CutoverError('config', `${path}: container "${chosen.name}" declares no ports, so health checks have nothing to reach; add ports: [{name: http, containerPort: 8080}] or set platform.port`, { details: { path: 'platform.deployment' } });
  }
  if (typeof port === 'string' && !/^\d+$/.test(port) && !ports.some((p) => p.name === port)) {
    throw new CutoverError('config', `${path}: container "${chosen.name}" has no port named "${port}" (platform.port); it declares ${ports.map((p) => p.name ?? p.containerPort).join(', ')}`, { details: { path: 'platform.port' } });
  }
  return `${path}: Deployment template with container "${chosen.name}" on port ${ports.map((p) => p.name ?? p.containerPort).join(', ') || port}`;
}
