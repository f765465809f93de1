import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Deployment, V1DeploymentStatus } from '@kubernetes/client-node';
import { CutoverError } from '../../core/errors.ts';
import { renderDeployment } from './deployment-template.ts';
import { migrationJobName, renderMigrationJob } from './migration-job.ts';
import { rolloutProgress } from './rollout-progress.ts';

const template = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'vcci-backend-api', labels: { team: 'carbon' } },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'vcci-backend-api' } },
    template: {
      metadata: { labels: { app: 'vcci-backend-api', tier: 'api' } },
      spec: {
        containers: [
          { name: 'api', image: 'old', env: [{ name: 'FEATURE_FLAGS_JSON', value: '{"stale":true}' }, { name: 'LOG_LEVEL', value: 'info' }], readinessProbe: { httpGet: { path: '/health/ready', port: 8000 } } },
          { name: 'sidecar', image: 'proxy:1' },
        ],
      },
    },
  },
};

const input = {
  app: 'vcci-backend-api',
  namespace: 'vcci-production',
  color: 'green' as const,
  version: 'v2.0.0+build.7',
  image: 'registry.example/vcci-backend-api:v2.0.0+build.7',
  replicas: 3,
  flags: { new_checkout: true },
  progressDeadlineSeconds: 600,
};

describe('renderDeployment: what cutover sets on the user\'s template', () => {
  test('name, labels, selector, image, replicas and flags are cutover\'s; the rest of the template is kept', () => {
    const d = renderDeployment(template, input);
    assert.equal(d.metadata?.name, 'vcci-backend-api-green');
    assert.equal(d.metadata?.namespace, 'vcci-production');
    assert.equal(d.metadata?.labels?.team, 'carbon');
    assert.deepEqual(d.spec?.selector, { matchLabels: { app: 'vcci-backend-api', color: 'green' } }, 'the selector leaves out the version, which changes every release');
    const labels = d.spec?.template.metadata?.labels ?? {};
    assert.deepEqual([labels.app, labels.color, labels.version, labels.tier], ['vcci-backend-api', 'green', 'v2.0.0_build.7', 'api']);
    assert.equal(d.spec?.template.metadata?.annotations?.['cutover.dev/version'], 'v2.0.0+build.7', 'the exact version survives in an annotation');
    assert.equal(d.spec?.replicas, 3);
    const [api, sidecar] = d.spec?.template.spec?.containers ?? [];
    assert.equal(api?.image, 'registry.example/vcci-backend-api:v2.0.0+build.7');
    assert.deepEqual(api?.env, [{ name: 'LOG_LEVEL', value: 'info' }, { name: 'FEATURE_FLAGS_JSON', value: '{"new_checkout":true}' }]);
    assert.deepEqual(api?.readinessProbe, { httpGet: { path: '/health/ready', port: 8000 } });
    assert.equal(sidecar?.image, 'proxy:1', 'other containers are untouched');
  });

  test('a container named in the config that the template lacks is a config error naming both', () => {
    assert.throws(() => renderDeployment(template, { ...input, container: 'web' }), (err: unknown) =>
      err instanceof CutoverError && err.code === 'config' && /no container "web".*api, sidecar/.test(err.message));
  });
});

describe('migration Jobs', () => {
  test('the Job name is a DNS label, distinct per version even when versions only differ in case or punctuation', () => {
    const a = migrationJobName('vcci-backend-api', 'v2.0.0+build.7');
    const b = migrationJobName('vcci-backend-api', 'v2.0.0-build.7');
    assert.match(a, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    assert.ok(a.length <= 63);
    assert.notEqual(a, b);
    assert.ok(migrationJobName('a'.repeat(50), 'v'.repeat(60)).length <= 63);
  });

  test('${version} and ${image} are substituted anywhere in the template', () => {
    const job = renderMigrationJob(
      { kind: 'Job', spec: { template: { spec: { containers: [{ name: 'm', image: '${image}', args: ['--to', '${version}'] }] } } } },
      { app: 'shop', namespace: 'prod', version: 'v3', image: 'reg/shop:v3' },
    );
    assert.deepEqual(job.spec?.template.spec?.containers[0], { name: 'm', image: 'reg/shop:v3', args: ['--to', 'v3'] });
    assert.equal(job.metadata?.labels?.['cutover.dev/role'], 'migration');
  });
});

describe('rolloutProgress: when a rollout is complete', () => {
  const deployment = (status: V1DeploymentStatus, generation = 2): V1Deployment => ({ metadata: { generation }, spec: { replicas: 3, selector: {}, template: {} }, status });
  test('complete only when the controller caught up and every count equals the desired replicas', () => {
    assert.equal(rolloutProgress(deployment({ observedGeneration: 2, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 })).complete, true);
    assert.equal(rolloutProgress(deployment({ observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 })).complete, false, 'stale observedGeneration');
    assert.equal(rolloutProgress(deployment({ observedGeneration: 2, replicas: 4, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 })).complete, false, 'an old pod is still there');
    assert.equal(rolloutProgress(deployment({ observedGeneration: 2, replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2 })).complete, false);
  });
  test('ProgressDeadlineExceeded is recognised', () => {
    const p = rolloutProgress(deployment({ observedGeneration: 2, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] }));
    assert.equal(p.deadlineExceeded, true);
  });
});
