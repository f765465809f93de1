import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliRunner, explain } from './support/cli-runner.ts';

/**
 * `cutover up` when the daemon cannot start: the reason (here a listen address another
 * process holds) is shown by `up` itself, naming the config field, with the config exit code,
 * instead of "did not start within 15s".
 */
describe('cutover up: a listen address that cannot be bound', () => {
  let dir: string;
  let holder: Server;
  let port: number;
  let cli: CliRunner;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cutover-up-bind-'));
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    port = (holder.address() as { port: number }).port;
    writeFileSync(join(dir, 'cutover.yaml'), `app: bind-test\nplatform:\n  kind: local\n  command: ["node", "server.js"]\nrouter:\n  listen: 127.0.0.1:${port}\n  preview: 127.0.0.1:0\n`);
    cli = new CliRunner({ cwd: dir, config: join(dir, 'cutover.yaml'), timeoutMs: 60_000 });
  });
  after(async () => {
    cli?.killAll();
    await new Promise<void>((resolve) => (holder ? holder.close(() => resolve()) : resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('up exits 2 and says which field and address could not be bound, and why', async () => {
    const r = await cli.cli(['up']);
    assert.equal(r.code, 2, explain(r));
    assert.match(r.stderr, new RegExp(`router\\.listen: cannot listen on 127\\.0\\.0\\.1:${port}: EADDRINUSE`), explain(r));
    assert.doesNotMatch(r.stderr, /did not start within/, explain(r));
    assert.equal(r.json?.error?.code, 'config', explain(r));
  });
});
