/**
 * The example service used by `cutover init` and `cutover demo`: a dependency-free node HTTP
 * server with the health endpoints the runbooks check (`/health/live`, `/health/ready` with a
 * `checks[]` list), a slow endpoint, an echo endpoint and graceful shutdown on SIGTERM.
 * `broken: true` produces a release whose readiness check reports its database as down.
 */
export function exampleServerSource(options: { broken?: boolean } = {}): string {
  return `// Example service for cutover. Reads PORT, CUTOVER_COLOR, CUTOVER_VERSION, FEATURE_FLAGS_JSON.
const http = require('node:http');
const port = Number(process.env.PORT || 3000);
const color = process.env.CUTOVER_COLOR || 'none';
const version = process.env.CUTOVER_VERSION || 'dev';
const flags = JSON.parse(process.env.FEATURE_FLAGS_JSON || '{}');
const broken = ${options.broken ? 'true' : 'false'};

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const headers = { 'content-type': 'application/json', 'x-cutover-color': color, 'x-cutover-version': version };
  const send = (status, body) => { res.writeHead(status, headers); res.end(JSON.stringify(body)); };
  if (url.pathname === '/health/live') return send(200, { status: 'ok' });
  if (url.pathname === '/health/ready') {
    const checks = [
      { name: 'database', status: broken ? 'unhealthy' : 'healthy' },
      { name: 'payments-api', status: 'healthy' },
    ];
    return send(broken ? 503 : 200, { status: broken ? 'degraded' : 'ok', checks });
  }
  if (url.pathname === '/slow') {
    const ms = Math.min(Number(url.searchParams.get('ms') || 1000), 30000);
    return setTimeout(() => send(200, { version, color, slept: ms }), ms);
  }
  if (req.method === 'POST') {
    let bytes = 0;
    req.on('data', (chunk) => { bytes += chunk.length; });
    req.on('end', () => send(200, { version, color, received: bytes }));
    return;
  }
  send(200, { app: 'example', version, color, flags });
});
server.keepAliveTimeout = 65000;
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  // Finish what is in flight, then exit; the router has already stopped sending new requests.
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 10000).unref();
});
`;
}

export const exampleSmokeScript = `#!/bin/sh
# Smoke test: cutover runs this against the new color's preview address ($CUTOVER_TARGET_URL).
set -eu
exec node -e '
fetch(process.env.CUTOVER_TARGET_URL + "/").then(async (response) => {
  const text = await response.text();
  if (!response.ok || !text.includes("\\"version\\"")) { console.error("unexpected answer", response.status, text); process.exit(1); }
  console.log("smoke ok:", text);
}, (error) => { console.error("smoke failed:", error.message); process.exit(1); });
'
`;
