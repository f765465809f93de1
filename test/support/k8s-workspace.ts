import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP_PORT, BACKEND_GATE, PodBackends } from './k8s-pod-backends.ts';
import { connectTestCluster, type TestCluster } from './k8s-test-cluster.ts';
import { CliRunner, explain, type CliResult, type RunningCli } from './cli-runner.ts';

export { explain, type CliResult, type RunningCli };


export const APP = 'shop';
export const SERVICE = 'shop';
export const APP_CONFIGMAP = 'shop-config';

export interface K8sConfigOptions {
  replicas?: number;
  progressDeadline?: string;
  leaseDuration?: string;
  monitorDuration?: string;
  /** monitor.interval (default 250ms). */
  monitorInterval?: string;
  scaleDownReplicas?: 0 | 1;
  scaleDownDelay?: string;
  migrationJob?: boolean;
  scaleColorsTo?: number;
  /**
   * The color the user's Service selects before the first deploy (default green). cutover's
   * first release goes to the other color, so by default it lands on blue.
   */
  serviceColor?: 'blue' | 'green';
  /** platform.apiTimeout (default: cutover's own). */
  apiTimeout?: string;
  /** platform.maintenance.port (default: the Service's targetPort, 8080). */
  maintenancePort?: number;
  /** maintenance.retryAfter, top level (default: cutover's own). */
  retryAfter?: string;
  /** More top-level sections, as YAML appended to the config (e.g. `dashboard:`). */
  extra?: string;
}

const DEPLOYMENT_TEMPLATE = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: placeholder            # cutover names it <app>-<color>
spec:
  replicas: 1
  selector:
    matchLabels:
      app: shop
  template:
    metadata:
      labels:
        app: shop
        tier: api
    spec:
      readinessGates:                  # set by the test harness once the pod's server answers
        - conditionType: ${BACKEND_GATE}
      containers:
        - name: api
          image: placeholder   # cutover sets platform.image
          ports:
            - name: http
              containerPort: ${APP_PORT}
          env:
            - name: LOG_LEVEL
              value: info
          readinessProbe:
            httpGet:
              path: /health/ready
              port: http
`;

const MIGRATION_TEMPLATE = `apiVersion: batch/v1
kind: Job
metadata:
  name: placeholder
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: \${image}
          args: ["migrate", "--to", "\${version}"]
`;

function configText(ns: string, o: K8sConfigOptions): string {
  return `app: ${APP}
platform:
  kind: kubernetes
  namespace: ${ns}
  service: ${SERVICE}
  previewService: ${SERVICE}-preview
  deployment: k8s/deployment.yaml
  image: registry.example/shop:\${version}
  replicas: ${o.replicas ?? 2}
  progressDeadline: ${o.progressDeadline ?? '20s'}
  switchTimeout: 15s${o.apiTimeout ? `\n  apiTimeout: ${o.apiTimeout}` : ''}
  lease:
    duration: ${o.leaseDuration ?? '4s'}
  maintenance:
    configMap: ${APP_CONFIGMAP}
    image: registry.example/maintenance-page:1${o.scaleColorsTo === undefined ? '' : `\n    scaleColorsTo: ${o.scaleColorsTo}`}${o.maintenancePort === undefined ? '' : `\n    port: ${o.maintenancePort}`}
${o.migrationJob ? '  migrationJob:\n    template: k8s/migrate.yaml\n    timeout: 30s\n' : ''}health:
  checks:
    - http: /health/ready
      expectStatus: 200
      json: checks
  interval: 200ms
  successes: 2
  timeout: 10s
monitor:
  duration: ${o.monitorDuration ?? '500ms'}
  interval: ${o.monitorInterval ?? '250ms'}
scaleDown:
  delay: ${o.scaleDownDelay ?? '200ms'}
  replicas: ${o.scaleDownReplicas ?? 0}
${o.retryAfter ? `maintenance:\n  retryAfter: ${o.retryAfter}\n` : ''}${o.extra ?? ''}`;
}

/**
 * One Kubernetes scenario: a fresh namespace holding the user's own objects (the active
 * Service selecting a color that has no pods yet, the app's ConfigMap), a config directory with cutover.yaml and
 * the templates, and real HTTP servers behind every pod (PodBackends). Test-only.
 */
export class K8sWorkspace {
  readonly cluster: TestCluster;
  readonly namespace: string;
  readonly dir: string;
  readonly configPath: string;
  readonly backends: PodBackends;
  private readonly runner: CliRunner;

  private constructor(cluster: TestCluster, namespace: string, dir: string) {
    this.cluster = cluster;
    this.namespace = namespace;
    this.dir = dir;
    this.configPath = join(dir, 'cutover.yaml');
    this.runner = new CliRunner({ cwd: dir, config: this.configPath, timeoutMs: 90_000 });
    this.backends = new PodBackends(cluster, namespace);
  }

  static async create(prefix: string, options: K8sConfigOptions = {}): Promise<K8sWorkspace> {
    const cluster = connectTestCluster();
    const ns = await cluster.createNamespace(prefix);
    const ws = new K8sWorkspace(cluster, ns, mkdtempSync(join(tmpdir(), 'cutover-k8s-scenario-')));
    mkdirSync(join(ws.dir, 'k8s'));
    writeFileSync(join(ws.dir, 'k8s', 'deployment.yaml'), DEPLOYMENT_TEMPLATE);
    writeFileSync(join(ws.dir, 'k8s', 'migrate.yaml'), MIGRATION_TEMPLATE);
    ws.writeConfig('cutover.yaml', options);
    await cluster.core.createNamespacedService({
      namespace: ns,
      body: {
        metadata: { name: SERVICE, labels: { app: APP } },
        spec: { selector: { app: APP, color: options.serviceColor ?? 'green' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
      },
    });
    await cluster.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: APP_CONFIGMAP }, data: { LOG_LEVEL: 'info', CHECKOUT_URL: 'https://pay.example/checkout' } },
    });
    ws.backends.start();
    return ws;
  }

  writeConfig(name: string, options: K8sConfigOptions): string {
    const path = join(this.dir, name);
    writeFileSync(path, configText(this.namespace, options));
    return path;
  }

  /** Starts `cutover <args> --config <config> --json` with CI=true, no stdin and this cluster's KUBECONFIG (from the environment). */
  start(args: string[], options: { config?: string; timeoutMs?: number; env?: Record<string, string> } = {}): RunningCli {
    return this.runner.start(args, options);
  }

  cli(args: string[], options: { config?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<CliResult> {
    return this.runner.cli(args, options);
  }

  /** `kubectl -n <ns> <args> -o json`, parsed: the independent witness. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async kubectlJson(args: string[]): Promise<any> {
    return JSON.parse(await this.cluster.kubectl(['-n', this.namespace, ...args, '-o', 'json']));
  }

  /** The state cutover keeps in ConfigMap `<app>-cutover`, or null. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async readState(): Promise<any> {
    try {
      const cm = await this.cluster.core.readNamespacedConfigMap({ name: `${APP}-cutover`, namespace: this.namespace });
      return JSON.parse(cm.data?.['state.json'] ?? 'null');
    } catch {
      return null;
    }
  }

  async dispose(): Promise<void> {
    this.runner.killAll();
    await this.backends.stop();
    await this.cluster.cleanup();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

