import { connect } from 'node:net';
import { formatDuration } from '../config/duration.ts';
import { describeNetworkError } from './network-error.ts';
import type { CheckResult, CheckTarget, TcpCheckSpec } from './types.ts';

/** Host and port a TCP check connects to: the target's host, and `port` or the target's own port. */
export function tcpAddress(target: CheckTarget, port: number | null): { host: string; port: number } {
  const url = new URL(target.url);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (port !== null) return { host, port };
  if (url.port !== '') return { host, port: Number(url.port) };
  return { host, port: url.protocol === 'https:' ? 443 : 80 };
}

/**
 * Opens one TCP connection and closes it at once. Healthy when the connection is accepted.
 * Never throws: failures come back as `ok: false` with a reason.
 */
export function runTcpCheck(
  spec: TcpCheckSpec,
  target: CheckTarget,
  options: { signal?: AbortSignal } = {},
): Promise<CheckResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const base = { check: spec.name, target: target.name, url: target.url };

  let address: { host: string; port: number };
  try {
    address = tcpAddress(target, spec.port);
  } catch {
    return Promise.resolve({ ...base, ok: false, latencyMs: 0, reason: `target URL ${JSON.stringify(target.url)} is not a URL` });
  }

  return new Promise((resolve) => {
    const socket = connect(address);
    let settled = false;
    const finish = (reason?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      const latencyMs = elapsed();
      resolve(reason === undefined ? { ...base, ok: true, latencyMs } : { ...base, ok: false, latencyMs, reason });
    };
    const onAbort = () => finish(`stopped after ${formatDuration(elapsed())}`);
    // The target URL already appears in the failure line; only a different port needs saying.
    const where = spec.port === null ? '' : `port ${spec.port}: `;
    const timer = setTimeout(
      () => finish(`${where}no connection within ${formatDuration(spec.timeoutMs)}`),
      spec.timeoutMs,
    );
    socket.once('connect', () => finish());
    socket.once('error', (err) => finish(`${where}${describeNetworkError(err)}`));
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
