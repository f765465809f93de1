import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../config/load.ts';
import { DESIGN_KUBERNETES_EXAMPLE } from '../../test/support/design-examples.ts';
import { resolveDashboardSettings } from './config-schema.ts';

const withDashboard = (section: string) => `${DESIGN_KUBERNETES_EXAMPLE}\ndashboard:\n${section}`;

describe('dashboard: in cutover.yaml', () => {
  it('needs only the Prometheus address; the queries, window and interval have defaults', () => {
    const config = parseConfig(withDashboard('  traffic:\n    prometheus:\n      address: http://prometheus.monitoring:9090\n'), '/tmp/cutover.yaml');
    const { prometheus } = resolveDashboardSettings(config.raw.dashboard);
    assert.equal(prometheus?.address, 'http://prometheus.monitoring:9090');
    assert.match(prometheus!.requests, /http_requests_total\{app="\$\{app\}",color="\$\{color\}"\}\[\$\{window\}\]/);
    assert.deepEqual([prometheus!.windowMs, prometheus!.intervalMs, prometheus!.timeoutMs], [60_000, 5_000, 5_000]);
  });

  it('is optional: without it the charts have no source of their own', () => {
    assert.deepEqual(resolveDashboardSettings(parseConfig(DESIGN_KUBERNETES_EXAMPLE, '/tmp/cutover.yaml').raw.dashboard), {});
  });

  it('names the field of a bad value', () => {
    const bad: Array<[string, RegExp]> = [
      ['  traffic:\n    prometheus:\n      address: not a url\n', /  dashboard\.traffic\.prometheus\.address: /],
      ['  traffic:\n    prometheus:\n      address: http://p:9090\n      requests: sum(rate(x{v="${version}"}[1m]))\n', /  dashboard\.traffic\.prometheus\.requests: unknown placeholder \$\{version\}/],
      ['  traffic:\n    prometheus:\n      address: http://p:9090\n      interval: 10ms\n', /  dashboard\.traffic\.prometheus\.interval: /],
      ['  traffic:\n    promethus: {}\n', /  dashboard\.traffic/],
    ];
    for (const [section, message] of bad) {
      assert.throws(() => parseConfig(withDashboard(section), '/tmp/cutover.yaml'), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'config');
        assert.match(err.message, message, err.message);
        return true;
      });
    }
  });
});
