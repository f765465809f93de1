import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { formatDuration } from '../config/duration.ts';
import { evaluateJsonChecks } from './json-checks.ts';
import { describeNetworkError } from './network-error.ts';
import type { CheckResult, CheckTarget, HttpCheckSpec } from './types.ts';

const MAX_JSON_BYTES = 1024 * 1024;
const MAX_DRAIN_BYTES = 64 * 1024;

/** Appends the check path to the target URL, keeping any path prefix the target has. */
export function checkUrl(target: CheckTarget, path: string): string {
  return target.url.replace(/\/+$/, '') + path;
}

async function readLimited(body: AsyncIterable<Buffer>, limit: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return JSON.stringify(flat.length > 60 ? `${flat.slice(0, 60)}…` : flat);
}

/**
 * Sends one request and judges the answer: status, then JSON sub-checks, then latency.
 * Each call opens its own connection with keep-alive off (`agent: false`, `Connection: close`),
 * closed before returning: every attempt opens a fresh connection (which is what "the replica
 * accepts connections" means), and no idle socket outlives the check to hold a draining replica
 * open. At one attempt per second the extra loopback handshake costs nothing that matters.
 * node:http rather than undici: one request per attempt needs nothing undici adds, and `status`
 * runs these checks, where importing undici was the largest part of its start-up time.
 * Never throws: failures come back as `ok: false` with a reason.
 */
export async function runHttpCheck(
  spec: HttpCheckSpec,
  target: CheckTarget,
  options: { signal?: AbortSignal } = {},
): Promise<CheckResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const base = { check: spec.name, target: target.name, url: target.url };
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), spec.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline.signal]) : deadline.signal;
  let response: IncomingMessage | undefined;

  try {
    response = await send(checkUrl(target, spec.path), spec, signal);
    const status = response.statusCode ?? 0;
    const problems: string[] = [];

    let text: string | null = null;
    if (spec.json !== null && spec.method !== 'HEAD') {
      text = await readLimited(response, MAX_JSON_BYTES);
    } else {
      await readLimited(response, MAX_DRAIN_BYTES);
    }
    const latencyMs = elapsed();

    const statusOk = spec.expectStatus === null ? status >= 200 && status < 300 : status === spec.expectStatus;
    if (!statusOk) {
      problems.push(`${status} after ${formatDuration(latencyMs)} (expected ${spec.expectStatus ?? '2xx'})`);
    }
    if (spec.json !== null) {
      const verdict = judgeJson(text, spec.json, String(response.headers['content-type'] ?? ''));
      // A 503 with an HTML error page: the status says enough, "not JSON" would only add noise.
      if (statusOk || verdict.parsed) problems.push(...verdict.problems);
    }
    if (latencyMs > spec.maxLatencyMs) {
      problems.push(`took ${formatDuration(latencyMs)} (max ${formatDuration(spec.maxLatencyMs)})`);
    }
    return problems.length === 0
      ? { ...base, ok: true, status, latencyMs }
      : { ...base, ok: false, status, latencyMs, reason: problems.join('; ') };
  } catch (err) {
    const latencyMs = elapsed();
    let reason: string;
    if (deadline.signal.aborted) reason = `no complete answer within ${formatDuration(spec.timeoutMs)}`;
    else if (options.signal?.aborted) reason = `stopped after ${formatDuration(latencyMs)}`;
    else reason = describeNetworkError(err);
    return { ...base, ok: false, latencyMs, reason };
  } finally {
    clearTimeout(timer);
    response?.destroy();
  }
}

/** Resolves with the answer's head; the deadline's signal aborts the connect, the wait and the body. */
function send(url: string, spec: HttpCheckSpec, signal: AbortSignal): Promise<IncomingMessage> {
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: spec.method, headers: { 'user-agent': 'cutover-health', ...spec.headers }, agent: false, signal }, resolve);
    req.once('error', reject);
    req.end();
  });
}

function judgeJson(text: string | null, path: string, contentType: string): { parsed: boolean; problems: string[] } {
  if (text === null) return { parsed: false, problems: [`body larger than ${MAX_JSON_BYTES / 1024 / 1024}MiB, not read`] };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    const type = contentType.split(';')[0].trim() || 'no content-type';
    return { parsed: false, problems: [`body is not JSON (${type}): ${text.trim() === '' ? 'empty' : preview(text)}`] };
  }
  return { parsed: true, problems: evaluateJsonChecks(body, path).problems };
}
