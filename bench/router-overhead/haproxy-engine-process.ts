/**
 * Runs the `router.engine: haproxy` data plane alone in its own process for the benchmark:
 * HAProxy started and driven by cutover's control plane, as the daemon runs it, with blue live
 * on the upstream given as argv[2]. Prints `PIDS <this>,<master>,<worker>` and then `READY <port>`
 * (this process receives HAProxy's per-request log for the latency histograms, so its CPU is
 * part of the engine's cost); on SIGTERM stops HAProxy and exits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HaproxyDataPlane } from '../../src/router/haproxy/haproxy-data-plane.ts';

const upstream = process.argv[2];
if (!upstream) {
  process.stderr.write('usage: haproxy-engine-process.ts <upstream-url>\n');
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'cutover-bench-hx-'));
const plane = await HaproxyDataPlane.start({ engine: 'haproxy', workDir: dir, listen: { host: '127.0.0.1', port: 0 }, drainTimeoutMs: 5000 });
await plane.setUpstreams('blue', [upstream]);
await plane.switchTo('blue');
const pids = await plane.processIds();
process.stdout.write(`PIDS ${[process.pid, pids.master, pids.worker].join(',')}\nREADY ${new URL(plane.address.main).port}\n`);
process.on('SIGTERM', () => {
  void plane.close().then(() => { rmSync(dir, { recursive: true, force: true }); process.exit(0); });
});
