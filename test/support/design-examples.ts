/** The two example configs of DESIGN.md, verbatim: part of the contract, checked by the config tests. */
export const DESIGN_LOCAL_EXAMPLE = `# local: the embedded default
app: shop-api
platform:
  kind: local
  command: ["node", "server.js"]   # argv, no shell; gets PORT, CUTOVER_COLOR, CUTOVER_VERSION, FEATURE_FLAGS_JSON
  cwd: releases/\${version}
  replicas: 2
router:
  listen: 127.0.0.1:8080           # live traffic
  preview: 127.0.0.1:8081          # the idle color, for checks and people
  drainTimeout: 30s
health:
  checks:
    - http: /health/live
    - http: /health/ready
      expectStatus: 200
      json: checks                 # every entry of body.checks must report healthy
      maxLatency: 2s
  interval: 1s
  successes: 3
  timeout: 60s
smoke:
  - run: ./scripts/smoke-test.sh   # gets CUTOVER_TARGET_URL
monitor:
  duration: 5m
scaleDown:
  delay: 30s
`;

export const DESIGN_KUBERNETES_EXAMPLE = `# kubernetes
app: vcci-backend-api
platform:
  kind: kubernetes
  namespace: vcci-production
  service: vcci-backend-api              # active Service: cutover patches the color in its selector
  previewService: vcci-backend-api-preview
  deployment: k8s/deployment.yaml        # template; cutover sets name <app>-<color>, labels app/color/version
  image: registry.example/vcci-backend-api:\${version}
  replicas: 3
health:
  checks:
    - http: /health/ready
scaleDown:
  delay: 5m
  replicas: 0                            # or 1, as one runbook keeps
`;
