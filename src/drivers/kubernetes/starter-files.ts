// What `cutover init --platform kubernetes` writes: the config, the Deployment template cutover
// renders each color from, and the active Service the user applies once before the first deploy.
// Plain text with comments, so the files explain themselves; nothing here loads the Kubernetes client.

/** The names a new user picks on the command line; everything else has a commented default. */
export interface KubernetesStarterOptions {
  app: string;
  namespace: string;
  /** An image reference containing `${version}`. */
  image: string;
}

/** The Kubernetes starter files, relative to the config's directory, with their contents. */
export function kubernetesStarterFiles(o: KubernetesStarterOptions): { path: string; text: string }[] {
  return [
    { path: 'cutover.yaml', text: starterConfig(o) },
    { path: 'k8s/deployment.yaml', text: starterDeployment(o) },
    { path: 'k8s/service.yaml', text: starterService(o) },
  ];
}

function starterConfig(o: KubernetesStarterOptions): string {
  return `# cutover.yaml: one service, released blue/green on Kubernetes.
# Reference: schema/cutover.schema.json (editors with YAML support validate against it).
#
# Before the first deploy:   kubectl apply -f k8s/service.yaml
# cutover creates the rest:  Deployments ${o.app}-blue / ${o.app}-green (from k8s/deployment.yaml),
#                            the preview Service ${o.app}-preview, ConfigMap ${o.app}-cutover (state)
#                            and Lease ${o.app}-cutover (lock). \`cutover rbac\` prints the Role it needs.
app: ${o.app}

platform:
  kind: kubernetes
  namespace: ${o.namespace}
  service: ${o.app}                   # your Service (k8s/service.yaml); cutover patches only \`color\` in its selector
  previewService: ${o.app}-preview    # cutover creates it; it selects the idle color
  deployment: k8s/deployment.yaml     # template; cutover sets the name, labels app/color/version, image, replicas
  image: ${o.image}
  replicas: 2                         # at least; a live color scaled up (by you or an HPA) is matched
  progressDeadline: 10m               # how long a rollout may take to become ready
  # context: my-cluster               # kubeconfig context (default: the current one)

health:                               # must pass before traffic moves, and during the bake
  checks:
    - http: /health/ready
      expectStatus: 200
      maxLatency: 2s
  interval: 1s
  successes: 3                        # consecutive healthy rounds on every pod
  timeout: 60s

monitor:
  duration: 5m                        # bake window after the switch; a breach rolls back

scaleDown:
  delay: 30s                          # then the old color is scaled down
  replicas: 0                         # or 1, to keep a warm pod for a fast rollback
`;
}

function starterDeployment(o: KubernetesStarterOptions): string {
  return `# The Deployment template cutover renders each color from (${o.app}-blue, ${o.app}-green).
# cutover sets metadata.name, the labels app/color/version on the Deployment, its selector and
# its pods, spec.replicas and the image of the first container (or platform.container).
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${o.app}                      # replaced by ${o.app}-<color>
spec:
  selector:
    matchLabels:
      app: ${o.app}
  template:
    metadata:
      labels:
        app: ${o.app}
    spec:
      containers:
        - name: app
          image: placeholder          # replaced by platform.image
          ports:
            - name: http
              containerPort: 8080     # the port health checks and smoke tests reach
          readinessProbe:             # a pod serves traffic only once this passes
            httpGet:
              path: /health/ready
              port: http
            periodSeconds: 2
          livenessProbe:
            httpGet:
              path: /health/ready
              port: http
            initialDelaySeconds: 10
`;
}

function starterService(o: KubernetesStarterOptions): string {
  return `# The active Service: yours, applied once before the first deploy (kubectl apply -f k8s/service.yaml).
# cutover moves traffic by patching \`color\` in its selector. It starts on green, where nothing
# runs yet, so the first release goes to blue and cutover points the Service at it once ready.
apiVersion: v1
kind: Service
metadata:
  name: ${o.app}
  namespace: ${o.namespace}
  labels:
    app: ${o.app}
spec:
  selector:
    app: ${o.app}
    color: green
  ports:
    - name: http
      port: 80
      targetPort: http
`;
}
