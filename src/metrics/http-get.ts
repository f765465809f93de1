import { formatDuration } from '../config/duration.ts';
import { describeError } from './measurement.ts';

export interface HttpGetOptions {
  headers?: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Larger bodies are refused rather than buffered: a metric source never needs megabytes. */
  maxBytes?: number;
}

export interface HttpGetResult {
  status: number;
  text: string;
}

const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;

/**
 * GETs `url` and reads the body as text, whatever the status.
 * @throws Error with a one-line message naming the URL: refused, timed out (`timeoutMs` covers
 * connect, headers and body together), aborted, or body too large.
 */
export async function httpGet(url: string, options: HttpGetOptions): Promise<HttpGetResult> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  try {
    // Loaded on the first reading, not with the module: the config schema imports the providers,
    // and commands that never measure (`status`) should not pay for undici.
    const { request } = await import('undici');
    const response = await request(url, { method: 'GET', headers: options.headers, signal });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += chunk.length;
      if (size > maxBytes) {
        response.body.destroy();
        throw new Error(`body is larger than ${maxBytes} bytes`);
      }
      chunks.push(chunk as Buffer);
    }
    return { status: response.statusCode, text: Buffer.concat(chunks).toString('utf8') };
  } catch (err) {
    if (timeout.signal.aborted) throw new Error(`GET ${url} timed out after ${formatDuration(options.timeoutMs)}`);
    if (options.signal?.aborted) throw new Error(`GET ${url} was aborted`);
    throw new Error(`GET ${url} failed: ${describeError(err)}`);
  } finally {
    clearTimeout(timer);
  }
}
