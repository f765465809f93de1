import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../config/load.ts';
import { CutoverError } from '../../core/errors.ts';
import { DESIGN_KUBERNETES_EXAMPLE as DESIGN_EXAMPLE } from '../../../test/support/design-examples.ts';


describe('kubernetes platform config', () => {
  test('the DESIGN.md example validates and resolves with the documented defaults', () => {
    const config = parseConfig(DESIGN_EXAMPLE, '/srv/vcci/cutover.yaml');
    assert.equal(config.platform.kind, 'kubernetes');
    if (config.platform.kind !== 'kubernetes') return;
    assert.equal(config.platform.namespace, 'vcci-production');
    assert.equal(config.platform.service, 'vcci-backend-api');
    assert.equal(config.platform.previewService, 'vcci-backend-api-preview');
    assert.equal(config.platform.deployment, '/srv/vcci/k8s/deployment.yaml');
    assert.equal(config.platform.replicas, 3);
    assert.equal(config.platform.readyTimeoutMs, 600_000);
    assert.equal(config.platform.maintenance.bannerKey, 'MAINTENANCE_BANNER');
    assert.equal(config.scaleDown.delayMs, 300_000);
    assert.equal(config.scaleDown.replicas, 0);
  });

  test('an image without ${version} is refused by field path', () => {
    const text = DESIGN_EXAMPLE.replace('registry.example/vcci-backend-api:${version}', 'registry.example/vcci-backend-api:latest');
    assert.throws(() => parseConfig(text, '/srv/vcci/cutover.yaml'), (err: unknown) => {
      assert.ok(err instanceof CutoverError);
      assert.equal(err.code, 'config');
      assert.match(err.message, /platform\.image: .*\$\{version\}/);
      return true;
    });
  });

  test('a misspelt key is reported instead of ignored', () => {
    const text = DESIGN_EXAMPLE.replace('replicas: 3', 'replica: 3');
    assert.throws(() => parseConfig(text, '/srv/vcci/cutover.yaml'), /platform: unknown key "replica"/);
  });
});
