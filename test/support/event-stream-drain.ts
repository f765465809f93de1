import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DrainReport } from '../../src/router/drain-watch.ts';

/** An app that answers every request with an endless event stream, one event every 20 ms. */
export async function startEventStreamApp(): Promise<{ origin: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    let n = 0;
    const timer = setInterval(() => res.write(`id: ${++n}\ndata: tick ${n}\n\n`), 20);
    res.on('close', () => clearInterval(timer));
    req.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Opens an event stream at `url` (as EventSource would: `Accept: text/event-stream`), switches
 * away from its color, and asserts it kept flowing until `drainMs` and then ended cleanly
 * (not cut), counted as timed out in the drain report.
 */
export async function assertEventStreamDrains(url: string, drainMs: number, switchAway: () => { drained: Promise<DrainReport> } | Promise<{ drained: Promise<DrainReport> }>): Promise<void> {
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    request(url, { agent: false, headers: { accept: 'text/event-stream' } }, resolve).on('error', reject).end();
  });
  assert.equal(res.statusCode, 200);
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => { body += chunk; });
  const ended = new Promise<'end' | 'aborted'>((resolve) => {
    res.once('end', () => resolve('end'));
    res.once('aborted', () => resolve('aborted'));
    res.once('error', () => resolve('aborted'));
  });
  await new Promise((r) => setTimeout(r, 60));
  const switchedAt = performance.now();
  const report = await switchAway();
  const how = await ended;
  const waited = performance.now() - switchedAt;
  assert.equal(how, 'end', 'the event stream was cut instead of ended');
  assert.ok(waited >= drainMs - 20, `the stream ended after ${waited.toFixed(0)} ms, before the drain timeout`);
  const ticks = body.match(/data: tick \d+\n\n/g)?.length ?? 0;
  assert.ok(ticks >= 6, `only ${ticks} events arrived in ${waited.toFixed(0)} ms: the stream did not keep flowing during the drain`);
  assert.equal((await report.drained).timedOut, 1);
}
