// `cutover status` on Kubernetes has to start about as fast as `kubectl get`, and loading zod
// (the state record's schema) and the YAML parser (the kubeconfig) were two of its largest costs
// beyond Node's own start-up (docs/BENCHMARKS.md, k8s-switch). This proves that the modules the
// read-only path is built from load neither; the installed package's bundle is checked on the
// test control plane (read-only-status.k8s.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importLines, traceTypeScript } from '../../../test/support/module-trace.ts';

test('`status` on Kubernetes (the verb, its context, the read-only platform) loads neither zod nor the YAML parser', async () => {
  // The verb's own module, the CLI's context it opens, and the platform it builds.
  const modules = ['../../cli/commands/status.ts', '../../cli/context.ts', '../create-platform.ts', './read-only-platform.ts', './state-record.ts', './cluster-access.ts']
    .map((m) => new URL(m, import.meta.url).href);
  const run = await traceTypeScript(importLines(modules));
  assert.equal(run.code, 0, run.stderr);
  assert.ok(run.modules.some((url) => url.endsWith('/src/drivers/kubernetes/read-only-platform.ts')), 'the trace sees the sources');
  assert.deepEqual(run.modules.filter((url) => /\/node_modules\/(zod|yaml)\//.test(url)), []);
});
