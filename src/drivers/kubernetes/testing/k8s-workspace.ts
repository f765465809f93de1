import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { APP_PORT, BACKEND_GATE, PodBackends } from './pod-backends.ts';
import { connectTestCluster, type TestCluster } from './test-cluster.ts';

const BIN = fileURLToPath(new URL('../../../../bin/cutover', import.meta.url));

export const APP = 'shop';
export const SERVICE = 'shop';
export const APP_CONFIGMAP = 'shop-config';

/** What one CLI invocation did; stdout parsed as JSON when it is JSON. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export interface RunningCli {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly done: Promise<CliResult>;
}

export interface K8sConfigOptions {
  replicas?: number;
  progressDeadline?: string;
  leaseDuration?: string;
  monitorDuration?: string;
  scaleDownReplicas?: 0 | 1;
  scaleDownDelay?: string;
  migrationJob?: boolean;
  scaleColorsTo?: number;
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
  switchTimeout: 15s
  lease:
    duration: ${o.leaseDuration ?? '4s'}
  maintenance:
    configMap: ${APP_CONFIGMAP}
    image: registry.example/maintenance-page:1${o.scaleColorsTo === undefined ? '' : `\n    scaleColorsTo: ${o.scaleColorsTo}`}
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
  interval: 250ms
scaleDown:
  delay: ${o.scaleDownDelay ?? '200ms'}
  replicas: ${o.scaleDownReplicas ?? 0}
`;
}

/**
 * One Kubernetes scenario: a fresh namespace holding the user's own objects (the active
 * Service selecting color blue, the app's ConfigMap), a config directory with cutover.yaml and
 * the templates, and real HTTP servers behind every pod (PodBackends). Test-only.
 */
export class K8sWorkspace {
  readonly cluster: TestCluster;
  readonly namespace: string;
  readonly dir: string;
  readonly configPath: string;
  readonly backends: PodBackends;
  private readonly running = new Set<ChildProcess>();

  private constructor(cluster: TestCluster, namespace: string, dir: string) {
    this.cluster = cluster;
    this.namespace = namespace;
    this.dir = dir;
    this.configPath = join(dir, 'cutover.yaml');
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
        spec: { selector: { app: APP, color: 'blue' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
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

  /** Starts `cutover <args> --config <config> --json` with CI=true, no stdin and this cluster's KUBECONFIG. */
  start(args: string[], options: { config?: string; timeoutMs?: number } = {}): RunningCli {
    const child = spawn(process.execPath, [BIN, ...args, '--config', options.config ?? this.configPath, '--json'], {
      cwd: this.dir,
      env: { ...process.env, CI: 'true', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000);
    const done = new Promise<CliResult>((resolve) => {
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        this.running.delete(child);
        let json: unknown = null;
        try { json = JSON.parse(stdout); } catch { /* not JSON */ }
        resolve({ code, signal, stdout, stderr, json });
      });
    });
    return { child, pid: child.pid!, done };
  }

  cli(args: string[], options: { config?: string; timeoutMs?: number } = {}): Promise<CliResult> {
    return this.start(args, options).done;
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
    for (const child of this.running) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await this.backends.stop();
    await this.cluster.cleanup();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function explain(r: CliResult): string {
  return `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
}
