import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Router } from './router.ts';

const MiB = 1024 * 1024;
const TOTAL = 50 * MiB;
const CHUNK = Buffer.alloc(64 * 1024, 0x7a);
/** Far below 50 MiB, far above what stream high-water marks hold in user space. */
const BOUNDED = 16 * MiB;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * The router runs in this process, so instead of watching memory the tests stall one end
 * and check that the other end is held back: had the router buffered whole bodies, the
 * producer would get far ahead of a consumer that stopped reading.
 */
describe('router: 50 MiB bodies stream with backpressure in both directions', () => {
  let backend: Server;
  let router: Router;
  /** Bytes the backend's /download handler has handed to its socket so far. */
  let downloadWritten = 0;
  /** Bytes the backend's /upload handler has read so far. */
  let uploadRead = 0;
  let uploadReq: IncomingMessage | null = null;

  before(async () => {
    backend = createServer((req, res) => {
      if (req.url === '/download') {
        downloadWritten = 0;
        res.writeHead(200, { 'content-length': String(TOTAL), 'x-cutover-color': 'blue' });
        const pump = () => {
          while (downloadWritten < TOTAL) {
            downloadWritten += CHUNK.length;
            if (!res.write(CHUNK)) {
              res.once('drain', pump);
              return;
            }
          }
          res.end();
        };
        pump();
        return;
      }
      uploadRead = 0;
      uploadReq = req;
      req.on('data', (c: Buffer) => { uploadRead += c.length; });
      req.on('end', () => res.end(String(uploadRead)));
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    router = await Router.start({ listen: { host: '127.0.0.1', port: 0 }, drainTimeoutMs: 1000 });
    router.setUpstreams('blue', [`http://127.0.0.1:${(backend.address() as AddressInfo).port}`]);
    router.switchTo('blue');
  });

  after(async () => {
    await router.close();
    backend.closeAllConnections();
    await new Promise<void>((resolve) => backend.close(() => resolve()));
  });

  test('download: first bytes arrive early, a stalled client holds the upstream back, all bytes arrive', async () => {
    const started = performance.now();
    let received = 0;
    let firstByteAt = 0;
    let firstByteUpstreamWritten = 0;
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      request(`${router.address.main}/download`, { agent: false }, resolve).on('error', reject).end();
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-length'], String(TOTAL));
    await new Promise<void>((resolve) => {
      res.once('data', (c: Buffer) => {
        received += c.length;
        firstByteAt = performance.now() - started;
        firstByteUpstreamWritten = downloadWritten;
        res.pause();
        resolve();
      });
    });
    assert.ok(firstByteUpstreamWritten < TOTAL, 'the first bytes must reach the client before the upstream has written everything');

    const buffersBefore = process.memoryUsage().arrayBuffers;
    await sleep(300);
    const early = downloadWritten;
    await sleep(300);
    const late = downloadWritten;
    const buffersGrowth = process.memoryUsage().arrayBuffers - buffersBefore;
    assert.equal(late, early, `the upstream kept writing (${early} -> ${late} bytes) while the client read nothing`);
    assert.ok(late < TOTAL * 0.6, `upstream wrote ${(late / MiB).toFixed(1)} MiB of ${TOTAL / MiB} while the client read nothing`);
    assert.ok(buffersGrowth < BOUNDED, `buffers in this process grew by ${(buffersGrowth / MiB).toFixed(1)} MiB while stalled`);

    res.on('data', (c: Buffer) => { received += c.length; });
    res.resume();
    await new Promise((resolve) => res.on('end', resolve));
    assert.equal(received, TOTAL);
    assert.ok(firstByteAt < 2000, `first byte after ${firstByteAt.toFixed(0)} ms`);
  });

  test('upload: a stalled upstream holds the client back, all bytes arrive', async () => {
    let accepted = 0;
    const req = request(`${router.address.main}/upload`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(TOTAL) },
    });
    const answer = new Promise<string>((resolve, reject) => {
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c: Buffer) => { text += c.toString(); });
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
    });
    const write = () => {
      while (accepted < TOTAL) {
        accepted += CHUNK.length;
        if (!req.write(CHUNK)) {
          req.once('drain', write);
          return;
        }
      }
      req.end();
    };
    write();

    await waitFor('the upload to reach the backend', () => uploadReq !== null && uploadRead > 0);
    uploadReq!.pause();
    const buffersBefore = process.memoryUsage().arrayBuffers;
    await sleep(300);
    const early = accepted;
    await sleep(300);
    const late = accepted;
    const buffersGrowth = process.memoryUsage().arrayBuffers - buffersBefore;
    assert.equal(late, early, `the client kept sending (${early} -> ${late} bytes) while the upstream read nothing`);
    assert.ok(late < TOTAL * 0.6, `client could push ${(late / MiB).toFixed(1)} MiB of ${TOTAL / MiB} while the upstream read nothing`);
    assert.ok(buffersGrowth < BOUNDED, `buffers in this process grew by ${(buffersGrowth / MiB).toFixed(1)} MiB while stalled`);

    uploadReq!.resume();
    assert.equal(await answer, String(TOTAL));
    assert.equal(uploadRead, TOTAL);
  });
});
