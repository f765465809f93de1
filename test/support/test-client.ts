/** A tiny node:http client for tests: one request on its own connection, whole body read. */
import { request } from 'node:http';

export interface TestResponse {
  status: number;
  /** Lower-cased header names, as node parses them. */
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** performance.now() when the response head arrived. */
  headAt: number;
}

export function httpRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string> | string[]; body?: string | Buffer } = {},
): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const headAt = performance.now();
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), headAt }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
