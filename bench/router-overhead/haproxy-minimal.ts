/**
 * The least HAProxy config that proxies like the engine: one frontend, one server, no rule and
 * no log, with the engine's thread count, connection limit, buffer size and connection reuse.
 * It is the floor the generated config is measured against (router-overhead's
 * `haproxy-minimal` rows, and haproxy-instructions.ts): what the same binary costs per request
 * before any of cutover's rules run.
 */

/** `masterWorker` adds the `master-worker` line, as the engine runs (its master's CPU then counts too). */
export function haproxyMinimalConfig(port: number | string, backend: string, opts: { masterWorker?: boolean } = {}): string {
  return `global
${opts.masterWorker ? '  master-worker\n' : ''}  nbthread 1
  maxconn 8000
  tune.bufsize 32768
defaults
  mode http
  timeout connect 5s
  timeout client 65s
  timeout server 65s
  http-reuse safe
frontend main
  bind 127.0.0.1:${port}
  default_backend b
backend b
  server r1 ${backend}
`;
}
