/**
 * For the several-workers experiment in docs/BENCHMARKS.md, not a product: WORKERS (default 2)
 * router processes under node:cluster, each accepting on one shared listening socket
 * (SCHED_NONE: the kernel spreads connections, the primary only forks), with blue live on the
 * upstream given as argv[2]. There is no switch barrier across the workers, so this measures
 * throughput only. Prints `READY <port>`; SIGTERM stops the workers.
 */
import cluster from 'node:cluster';
import { Router } from '../../src/router/router.ts';

const upstream = process.argv[2];
if (!upstream) {
  process.stderr.write('usage: router-workers-process.ts <upstream-url>\n');
  process.exit(2);
}
const workers = Number(process.env['WORKERS'] ?? 2);
cluster.schedulingPolicy = cluster.SCHED_NONE;
if (cluster.isPrimary) {
  let ready = 0;
  for (let i = 0; i < workers; i++) {
    // Workers listening on port 0 share one port, which each reports.
    cluster.fork().on('message', (port: string) => {
      if (++ready === workers) process.stdout.write(`READY ${port}\n`);
    });
  }
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill();
    process.exit(0);
  });
} else {
  const router = await Router.start({ listen: { host: '127.0.0.1', port: 0 }, drainTimeoutMs: 5000 });
  router.setUpstreams('blue', [upstream]);
  router.switchTo('blue');
  process.send!(new URL(router.address.main).port);
}
