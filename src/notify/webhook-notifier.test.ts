import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, test } from 'node:test';
import { refusedPort, startLoopbackServer } from '../../test/support/loopback-server.ts';
import type { LifecycleEvent } from '../core/deps.ts';
import { deploy } from '../core/operations/deploy.ts';
import { memoryPlatform } from '../../test/support/memory-platform.ts';
import { createNotifier } from './create-notifier.ts';
import { WebhookNotifier, type WebhookTarget } from './webhook-notifier.ts';

const rolledBack: LifecycleEvent = {
  type: 'operation-finished',
  app: 'shop-api',
  operationId: 'op-1',
  kind: 'deploy',
  version: 'v2',
  outcome: 'rolled_back',
  message: 'error-rate failed: 0.05 breaks "result < 0.01"',
};
const phaseDone: LifecycleEvent = {
  type: 'phase-finished',
  app: 'shop-api',
  operationId: 'op-1',
  kind: 'deploy',
  version: 'v2',
  phase: { name: 'verify', status: 'succeeded', startedAt: '2025-01-01T00:00:00.000Z', durationMs: 3_200, detail: '3/3 healthy' },
};

function target(url: string, extra: Partial<WebhookTarget> = {}): WebhookTarget {
  return { url, format: 'json', timeoutMs: 1_000, retries: 0, ...extra };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve(body));
  });
}

describe('webhook notifier', () => {
  test('a hanging webhook never delays the caller: notify returns at once and a real rollback it reports runs at full speed', { timeout: 20_000 }, async () => {
    let arrived = 0;
    const hanging = await startLoopbackServer(() => {
      arrived++;
    });
    const notifier = new WebhookNotifier([target(hanging.url, { timeoutMs: 10_000, retries: 3 })]);
    try {
      const started = performance.now();
      notifier.notify(phaseDone);
      notifier.notify(rolledBack);
      const notifyMs = performance.now() - started;
      assert.ok(notifyMs < 50, `notify took ${notifyMs.toFixed(1)}ms`);
      // A real release rolled back by the engine (platform and store in memory), telling the
      // hanging webhook about every phase as it goes.
      const { driver, deps } = memoryPlatform({ notify: (event) => notifier.notify(event) });
      assert.equal((await deploy(deps, 'v1', {})).outcome, 'promoted');
      driver.verifyTraffic = async (to?: unknown) => ({ ok: to !== 'green', detail: to === 'green' ? 'blue still answers' : 'only blue answers', durationMs: 1 });
      const rollbackStarted = performance.now();
      const result = await deploy(deps, 'v2', {});
      const rollbackMs = performance.now() - rollbackStarted;
      assert.equal(result.outcome, 'rolled_back');
      assert.deepEqual(result.live, { color: 'blue', version: 'v1' });
      assert.ok(rollbackMs < 5_000, `the deploy and its rollback took ${rollbackMs.toFixed(0)}ms behind a webhook whose timeout is 10s`);
      for (const deadline = Date.now() + 2_000; arrived === 0 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 10));
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(arrived, 1, 'the first event is being delivered, the others wait their turn');
    } finally {
      const closeStarted = performance.now();
      const reports = await notifier.close(200);
      const closeMs = performance.now() - closeStarted;
      assert.ok(closeMs < 1_000, `close is bounded (${closeMs.toFixed(0)}ms)`);
      assert.deepEqual(reports.slice(0, 2).map((r) => [r.event, r.ok]), [['phase-finished', false], ['operation-finished', false]]);
      assert.ok(reports.some((r) => r.event === 'operation-finished' && /abandoned/.test(r.error ?? '')), 'the rollback\'s own operation-finished was queued, then abandoned at close');
      await hanging.close();
    }
  });

  test('a webhook that times out is retried with backoff, and the report says why it gave up', async () => {
    let arrived = 0;
    const hanging = await startLoopbackServer(() => {
      arrived++;
    });
    const notifier = new WebhookNotifier([target(hanging.url, { timeoutMs: 150, retries: 2 })], { backoffMs: 20 });
    try {
      notifier.notify(rolledBack);
      const reports = await notifier.close(3_000);
      assert.equal(arrived, 3);
      assert.deepEqual(reports.map((r) => [r.ok, r.attempts]), [[false, 3]]);
      assert.match(reports[0].error!, /no answer within 150ms/);
    } finally {
      await hanging.close();
    }
  });

  test('5xx and 429 are retried until the webhook answers 2xx; a 4xx is not retried', async () => {
    const statuses = [503, 429, 200];
    const seen: string[] = [];
    const flaky = await startLoopbackServer(async (req, res) => {
      seen.push(req.url!);
      await readBody(req);
      res.statusCode = req.url === '/bad' ? 400 : statuses.shift()!;
      res.end();
    });
    const notifier = new WebhookNotifier([target(`${flaky.url}/hook`, { retries: 3 }), target(`${flaky.url}/bad`, { retries: 3 })], { backoffMs: 10 });
    try {
      notifier.notify(rolledBack);
      const reports = await notifier.close(3_000);
      const hook = reports.find((r) => r.url.endsWith('/hook'))!;
      const bad = reports.find((r) => r.url.endsWith('/bad'))!;
      assert.deepEqual([hook.ok, hook.attempts, hook.status], [true, 3, 200]);
      assert.deepEqual([bad.ok, bad.attempts, bad.status, bad.error], [false, 1, 400, 'answered 400']);
      assert.equal(seen.filter((u) => u === '/bad').length, 1);
    } finally {
      await flaky.close();
    }
  });

  test('json sends the event with time and summary; slack sends {text}; events filter what each webhook gets; order is kept', async () => {
    const received: Array<{ url: string; body: Record<string, unknown>; auth?: string }> = [];
    const sink = await startLoopbackServer(async (req, res) => {
      received.push({ url: req.url!, body: JSON.parse(await readBody(req)), auth: req.headers.authorization });
      res.end('ok');
    });
    const notifier = new WebhookNotifier([
      target(`${sink.url}/json`, { headers: { authorization: 'Bearer s3cret' } }),
      target(`${sink.url}/slack`, { format: 'slack', events: ['operation-finished'] }),
    ]);
    try {
      notifier.notify(phaseDone);
      notifier.notify(rolledBack);
      await notifier.close(3_000);
      const json = received.filter((r) => r.url === '/json');
      assert.deepEqual(json.map((r) => r.body.type), ['phase-finished', 'operation-finished']);
      assert.equal(json[1].body.outcome, 'rolled_back');
      assert.equal(json[1].auth, 'Bearer s3cret');
      assert.match(String(json[1].body.at), /^\d{4}-\d\d-\d\dT/);
      assert.equal(json[0].body.summary, 'shop-api: deploy v2: phase verify succeeded in 3.2s: 3/3 healthy');
      const slack = received.filter((r) => r.url === '/slack');
      assert.deepEqual(slack.map((r) => r.body), [{ text: 'shop-api: deploy v2 finished: rolled_back (error-rate failed: 0.05 breaks "result < 0.01")' }]);
    } finally {
      await sink.close();
    }
  });

  test('an unreachable webhook is reported, never thrown', async () => {
    const port = await refusedPort();
    const delivered: string[] = [];
    const notifier = new WebhookNotifier([target(`http://127.0.0.1:${port}/`, { retries: 1 })], { backoffMs: 10, onDelivery: (r) => delivered.push(r.error ?? '') });
    notifier.notify(rolledBack);
    const reports = await notifier.close(2_000);
    assert.equal(reports[0].attempts, 2);
    assert.match(delivered[0], /ECONNREFUSED/);
  });

  test('createNotifier resolves config defaults and returns null without webhooks', () => {
    assert.equal(createNotifier(undefined), null);
    assert.equal(createNotifier({ webhooks: [] }), null);
    assert.ok(createNotifier({ webhooks: [{ url: 'http://127.0.0.1:1/hook', timeout: '2s' }] }) instanceof WebhookNotifier);
  });
});
