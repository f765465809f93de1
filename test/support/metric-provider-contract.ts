import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Color } from '../../src/core/types.ts';
import type { MeasureContext, Measurement, MetricProvider } from '../../src/metrics/provider.ts';

/** The contract's cases that a provider may skip, with a reason. */
export type ContractCase = 'unreachable' | 'hanging' | 'garbage' | 'empty';

/**
 * What one provider's test gives the shared contract: a provider plus queries aimed at
 * real sources on loopback that the fixture started (and stops in `close`).
 */
export interface ProviderContractFixture<Query> {
  provider: MetricProvider<Query>;
  /** How far back readings look; keep it short so the suite stays quick. */
  windowMs?: number;
  /** A healthy source that answers differently per color, so templating is proven. */
  good: { query: Query; expected: Record<Color, number> };
  /** A source that cannot be reached (refused port, missing program). */
  unreachable?: { query: Query };
  /** A source that never answers; `timeoutMs` is the query's own timeout. */
  hanging?: { query: Query; timeoutMs: number };
  /** A source that answers with something that is not a metric. */
  garbage?: { query: Query };
  /** A source that answers but has no data (no traffic, empty result). */
  empty?: { query: Query };
  close(): Promise<void>;
}

/** How long past its own timeout a provider may take to give up. */
const TIMEOUT_SLACK_MS = 1_500;

function context(color: Color, windowMs: number): MeasureContext {
  return { app: 'shop-api', color, version: color === 'blue' ? 'v1' : 'v2', targetUrl: 'http://127.0.0.1:9/', windowMs };
}

/** Resolves with the reading and how long it took; a rejection fails the test with a clear message. */
async function read<Q>(provider: MetricProvider<Q>, query: Q, ctx: MeasureContext, signal?: AbortSignal): Promise<{ m: Measurement; ms: number }> {
  const started = performance.now();
  let m: Measurement;
  try {
    m = await provider.measure(query, ctx, signal);
  } catch (err) {
    assert.fail(`measure() must never reject, but it did: ${String(err)}`);
  }
  return { m, ms: performance.now() - started };
}

function assertWellFormed(m: Measurement): void {
  assert.ok(Number.isFinite(m.startedAt) && Number.isFinite(m.finishedAt), 'startedAt and finishedAt are epoch ms');
  assert.ok(m.finishedAt >= m.startedAt, 'finishedAt is not before startedAt');
  assert.notEqual(m.phase, 'failed', 'providers never judge: only the analysis returns failed');
}

/**
 * The contract every metric provider meets. Call it from the provider's test file:
 * `providerContract('web', async () => ({ provider, good, ... }))`. A case the provider
 * cannot meet is listed in `skip` with the reason, and shows as skipped.
 */
export function providerContract<Query>(
  name: string,
  setup: () => Promise<ProviderContractFixture<Query>>,
  skip: Partial<Record<ContractCase, string>> = {},
): void {
  describe(`${name} provider contract`, () => {
    let fixture: ProviderContractFixture<Query>;
    before(async () => {
      fixture = await setup();
    });
    after(async () => {
      await fixture?.close();
    });
    const windowMs = () => fixture.windowMs ?? 1_000;
    const given = <K extends ContractCase>(key: K): NonNullable<ProviderContractFixture<Query>[K]> => {
      const value = fixture[key];
      assert.ok(value, `the ${name} fixture gives no "${key}" case and does not skip it`);
      return value!;
    };

    test('a healthy source gives each color its own value (templating reaches the source)', async () => {
      for (const color of ['blue', 'green'] as const) {
        const { m } = await read(fixture.provider, fixture.good.query, context(color, windowMs()));
        assertWellFormed(m);
        assert.equal(m.phase, 'successful', `${color}: ${m.message}`);
        assert.ok(m.value !== undefined && Math.abs(m.value - fixture.good.expected[color]) < 1e-9, `${color}: expected ${fixture.good.expected[color]}, got ${m.value}`);
      }
    });

    test('an unreachable source is an error with a message, never a throw', { skip: skip.unreachable }, async () => {
      const unreachable = given('unreachable');
      const { m } = await read(fixture.provider, unreachable.query, context('green', windowMs()));
      assertWellFormed(m);
      assert.equal(m.phase, 'error');
      assert.ok(m.message && m.message.length > 10, `a message a person can act on: ${m.message}`);
      assert.equal(m.value, undefined);
    });

    test('a source that never answers is an error once the query timeout passes', { skip: skip.hanging }, async () => {
      const hanging = given('hanging');
      const { m, ms } = await read(fixture.provider, hanging.query, context('green', windowMs()));
      assertWellFormed(m);
      assert.equal(m.phase, 'error');
      assert.ok(ms < hanging.timeoutMs + TIMEOUT_SLACK_MS, `gave up after ${Math.round(ms)}ms (timeout ${hanging.timeoutMs}ms)`);
      assert.ok(ms >= hanging.timeoutMs * 0.9, `waited the timeout (${Math.round(ms)}ms of ${hanging.timeoutMs}ms)`);
      assert.match(m.message ?? '', /time|kill/i);
    });

    test('an aborted reading ends promptly as an error', { skip: skip.hanging }, async () => {
      const hanging = given('hanging');
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const { m, ms } = await read(fixture.provider, hanging.query, context('green', windowMs()), controller.signal);
      assertWellFormed(m);
      assert.equal(m.phase, 'error');
      assert.ok(ms < 100 + TIMEOUT_SLACK_MS && ms < hanging.timeoutMs, `ended ${Math.round(ms)}ms after start`);
    });

    test('a source that answers garbage is an error naming what was wrong', { skip: skip.garbage }, async () => {
      const garbage = given('garbage');
      const { m } = await read(fixture.provider, garbage.query, context('green', windowMs()));
      assertWellFormed(m);
      assert.equal(m.phase, 'error');
      assert.ok(m.message && m.message.length > 10, `message: ${m.message}`);
    });

    test('a source with no data is inconclusive, not a bad value', { skip: skip.empty }, async () => {
      const empty = given('empty');
      const { m } = await read(fixture.provider, empty.query, context('green', windowMs()));
      assertWellFormed(m);
      assert.equal(m.phase, 'inconclusive', m.message);
      assert.equal(m.value, undefined);
    });
  });
}
