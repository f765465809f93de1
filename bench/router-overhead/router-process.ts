/**
 * Runs the cutover router alone in its own process for the benchmark, with blue live on
 * the upstream given as argv[2]. Prints `READY <port>`; on SIGTERM closes and exits
 * cleanly so `--cpu-prof` can write its profile.
 */
import { Router } from '../../src/router/router.ts';

const upstream = process.argv[2];
if (!upstream) {
  process.stderr.write('usage: router-process.ts <upstream-url>\n');
  process.exit(2);
}
const router = await Router.start({ listen: { host: '127.0.0.1', port: 0 }, drainTimeoutMs: 5000 });
router.setUpstreams('blue', [upstream]);
router.switchTo('blue');
process.stdout.write(`READY ${new URL(router.address.main).port}\n`);
process.on('SIGTERM', () => {
  void router.close().then(() => process.exit(0));
});
