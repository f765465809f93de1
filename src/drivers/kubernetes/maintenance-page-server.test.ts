// The maintenance page server's config, run as a real nginx process: what the maintenance pod
// answers during `cutover maintenance on` on Kubernetes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { freePort } from '../local/free-port.ts';
import { nginxBinary, startNginxConfD, type NginxConfD } from '../../../test/support/nginx-conf-d.ts';
import { filesChecksum, maintenanceServerFiles, READY_PATH } from './maintenance-page-server.ts';

const nginx = nginxBinary();

describe('kubernetes maintenance page server (nginx, from the ConfigMap files)', { skip: nginx ? false : 'nginx is not installed (Debian package nginx-light)' }, () => {
  let server: NginxConfD;
  let base: string;
  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = await startNginxConfD(nginx!, maintenanceServerFiles({ port, message: 'Back at 14:00 <b>UTC</b> & "soon"', retryAfterSec: 120 }), port);
  });
  after(() => server?.stop());

  test('given any path and method, it answers 503 with Retry-After, no-store and the escaped message', async () => {
    for (const [method, path] of [['GET', '/'], ['GET', '/api/orders?id=7'], ['POST', '/checkout'], ['PUT', '/x'], ['DELETE', '/maintenance.html']] as const) {
      const res = await request(`${base}${path}`, { method, body: method === 'POST' ? '{"a":1}' : undefined });
      const body = await res.body.text();
      assert.equal(res.statusCode, 503, `${method} ${path}`);
      assert.equal(res.headers['retry-after'], '120', `${method} ${path}`);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.match(String(res.headers['content-type']), /^text\/html; charset=utf-8/);
      assert.match(body, /Back at 14:00 &lt;b&gt;UTC&lt;\/b&gt; &amp; &quot;soon&quot;/, `${method} ${path}`);
    }
    const head = await request(`${base}/`, { method: 'HEAD' });
    await head.body.dump();
    assert.equal(head.statusCode, 503);
    assert.equal(head.headers['retry-after'], '120');
  });

  test('given the readiness path, it answers 200 so the pod becomes Ready', async () => {
    const res = await request(`${base}${READY_PATH}`);
    assert.equal(res.statusCode, 200);
    assert.equal(await res.body.text(), 'ok\n');
  });
});

describe('maintenanceServerFiles', () => {
  test('given a custom page file, {{message}} in it becomes the escaped message', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cutover-page-'));
    try {
      const pageFile = join(dir, 'page.html');
      writeFileSync(pageFile, '<html><body><marquee>{{message}}</marquee></body></html>');
      const files = maintenanceServerFiles({ port: 8080, message: '<script>x</script>', retryAfterSec: 0, pageFile });
      assert.equal(files['maintenance.html'], '<html><body><marquee>&lt;script&gt;x&lt;/script&gt;</marquee></body></html>');
      assert.match(files['default.conf']!, /add_header Retry-After 0 always;/);
      assert.match(files['default.conf']!, /listen 8080;/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('given another message, the checksum changes so the pod template rolls', () => {
    const a = filesChecksum(maintenanceServerFiles({ port: 8080, message: 'a', retryAfterSec: 30 }));
    const b = filesChecksum(maintenanceServerFiles({ port: 8080, message: 'b', retryAfterSec: 30 }));
    assert.notEqual(a, b);
    assert.equal(a, filesChecksum(maintenanceServerFiles({ port: 8080, message: 'a', retryAfterSec: 30 })));
  });
});
