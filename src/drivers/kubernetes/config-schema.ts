import { resolve } from 'node:path';
import * as z from 'zod';
import { durationField } from '../../config/fields.ts';
import { parseDuration } from '../../config/duration.ts';

// Object names cutover derives (`<app>-blue`, `<app>-cutover`) must stay valid DNS labels.
const dnsLabel = (description: string) =>
  z.string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: 'expected a DNS label: lower-case letters, digits and "-"' })
    .max(63)
    .describe(description);

const portField = z.union([z.number().int().min(1).max(65535), z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(15)]);

/** Kubernetes counts these in whole seconds (progressDeadlineSeconds, leaseDurationSeconds). */
const WHOLE_SECONDS = { minMs: 1_000 } as const;

export const kubernetesPlatformSchema = z.object({
  kind: z.literal('kubernetes'),
  context: z.string().min(1).optional().describe('kubeconfig context to use (default: the current context of $KUBECONFIG or ~/.kube/config).'),
  namespace: dnsLabel('Namespace of the Deployments, Services, lock and state.').default('default'),
  service: dnsLabel('The active Service, which you own; cutover patches only `color` in its selector.'),
  previewService: dnsLabel('Service that cutover creates or patches to select the idle color (default: <service>-preview).').optional(),
  deployment: z.string().min(1).describe('Deployment template (YAML), relative to this file. cutover sets the name <app>-<color>, the labels app/color/version, the image and the replicas.'),
  image: z.string().min(1)
    .refine((s) => s.includes('${version}'), { message: 'expected an image reference containing ${version}, e.g. registry.example/app:${version}' })
    .describe('Image of a release; ${version} is substituted.'),
  container: z.string().min(1).optional().describe('Container that gets the image and FEATURE_FLAGS_JSON (default: the first container of the template).'),
  replicas: z.number().int().min(1).max(1000).default(1).describe('Replicas of the color being deployed.'),
  progressDeadline: durationField('How long a rollout may take to become ready; also written as the Deployment\'s progressDeadlineSeconds.', WHOLE_SECONDS).default('10m'),
  switchTimeout: durationField('How long the switch waits for the Service\'s EndpointSlices to list only ready pods of the new color.').default('60s'),
  apiTimeout: durationField('How long one Kubernetes API call may take before cutover reports the API server as not answering (a call refused or reset is retried twice first).').default('5s'),
  port: portField.optional().describe('Container port that health checks and smoke tests use (default: the active Service\'s first targetPort).'),
  checksFrom: z.enum(['auto', 'outside', 'inside']).default('auto')
    .describe('outside: reach pods through the API server\'s port-forward (CI, laptops); inside: through the preview Service\'s cluster DNS name and pod IPs (cutover runs in a pod); auto: inside when running in a pod.'),
  lease: z.object({
    duration: durationField('A lock not renewed for this long is considered abandoned and can be taken over.', WHOLE_SECONDS).default('30s'),
  }).strict().default({ duration: '30s' }),
  maintenance: z.object({
    configMap: dnsLabel('The app\'s ConfigMap whose banner key is set while in maintenance (optional).').optional(),
    bannerKey: z.string().regex(/^[-._a-zA-Z0-9]+$/).default('MAINTENANCE_BANNER').describe('Key of the banner in that ConfigMap.'),
    image: z.string().min(1).default('nginxinc/nginx-unprivileged:stable-alpine').describe('Image of the maintenance Deployment (<app>-maintenance) the active Service points at during maintenance: nginx, or one that reads /etc/nginx/conf.d/*.conf, where cutover mounts the server config that answers 503 + Retry-After + the page.'),
    port: z.number().int().min(1).max(65535).optional().describe('Port the maintenance container listens on (default: the active Service\'s targetPort).'),
    scaleColorsTo: z.number().int().min(0).optional().describe('If set, both colors are scaled down to at most this many replicas during maintenance and restored afterwards.'),
  }).strict().default({ bannerKey: 'MAINTENANCE_BANNER', image: 'nginxinc/nginx-unprivileged:stable-alpine' }),
  migrationJob: z.object({
    template: z.string().min(1).describe('Job template (YAML), relative to this file; it runs to completion before the new color is provisioned. ${version} and the release image are substituted.'),
    timeout: durationField('How long the Job may run before the deploy fails.').default('10m'),
  }).strict().optional(),
  doctor: z.object({
    events: z.number().int().min(1).max(500).default(20).describe('How many recent events `cutover doctor` shows.'),
  }).strict().default({ events: 20 }),
}).strict().describe('Run each color as a Deployment; traffic moves when cutover patches the color in the active Service\'s selector.');

export type KubernetesPlatformInput = z.input<typeof kubernetesPlatformSchema>;

/** The kubernetes platform section after validation and normalization. Read-only. */
export interface ResolvedKubernetesPlatform {
  readonly kind: 'kubernetes';
  readonly app: string;
  readonly context?: string;
  readonly namespace: string;
  readonly service: string;
  readonly previewService: string;
  /** Absolute path of the Deployment template. */
  readonly deployment: string;
  readonly image: string;
  readonly container?: string;
  readonly replicas: number;
  /** The progress deadline; the core's provision timeout on this platform. */
  readonly readyTimeoutMs: number;
  readonly switchTimeoutMs: number;
  /** One API call's deadline (platform.apiTimeout). */
  readonly apiTimeoutMs: number;
  readonly port?: number | string;
  readonly checksFrom: 'auto' | 'outside' | 'inside';
  readonly leaseDurationMs: number;
  readonly maintenance: {
    readonly configMap?: string;
    readonly bannerKey: string;
    readonly image: string;
    readonly port?: number;
    readonly scaleColorsTo?: number;
  };
  readonly migrationJob?: { readonly template: string; readonly timeoutMs: number };
  readonly doctorEvents: number;
}

export function normalizeKubernetesPlatform(input: z.output<typeof kubernetesPlatformSchema>, baseDir: string, app: string): ResolvedKubernetesPlatform {
  return {
    kind: 'kubernetes',
    app,
    context: input.context,
    namespace: input.namespace,
    service: input.service,
    previewService: input.previewService ?? `${input.service}-preview`,
    deployment: resolve(baseDir, input.deployment),
    image: input.image,
    container: input.container,
    replicas: input.replicas,
    readyTimeoutMs: parseDuration(input.progressDeadline),
    switchTimeoutMs: parseDuration(input.switchTimeout),
    apiTimeoutMs: parseDuration(input.apiTimeout),
    port: input.port,
    checksFrom: input.checksFrom,
    leaseDurationMs: parseDuration(input.lease.duration),
    maintenance: { ...input.maintenance },
    migrationJob: input.migrationJob
      ? { template: resolve(baseDir, input.migrationJob.template), timeoutMs: parseDuration(input.migrationJob.timeout) }
      : undefined,
    doctorEvents: input.doctor.events,
  };
}
