import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CutoverError } from '../../core/errors.ts';
import { checkDeploymentTemplate } from './deployment-template.ts';

const dir = mkdtempSync(join(tmpdir(), 'cutover-template-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
const deployment = (container: string) => `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  template:\n    spec:\n      containers:\n${container}`;

function configError(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof CutoverError && err.code === 'config' && message.test(err.message));
}

describe('checkDeploymentTemplate: a bad template is a config error before anything changes', () => {
  test('a good template names its container and port', () => {
    const path = file('ok.yaml', deployment('        - name: api\n          image: x\n          ports: [{name: http, containerPort: 8080}]\n'));
    assert.match(checkDeploymentTemplate(path, undefined, undefined), /container "api" on port http/);
  });
  test('missing, unparseable, without containers, without the named container, without a port', () => {
    configError(() => checkDeploymentTemplate(join(dir, 'missing.yaml'), undefined, undefined), /cannot read the Deployment template .*missing\.yaml/);
    configError(() => checkDeploymentTemplate(file('bad.yaml', 'kind: Deployment\n  spec: [\n'), undefined, undefined), /is not valid YAML/);
    configError(() => checkDeploymentTemplate(file('none.yaml', deployment('        []\n')), undefined, undefined), /has no containers/);
    const noPort = file('noport.yaml', deployment('        - name: api\n          image: x\n'));
    configError(() => checkDeploymentTemplate(noPort, 'web', undefined), /no container "web" \(platform\.container\)/);
    configError(() => checkDeploymentTemplate(noPort, undefined, undefined), /container "api" declares no ports/);
    assert.doesNotThrow(() => checkDeploymentTemplate(noPort, undefined, 8080), 'platform.port as a number is enough');
    const named = file('named.yaml', deployment('        - name: api\n          ports: [{name: http, containerPort: 8080}]\n'));
    configError(() => checkDeploymentTemplate(named, undefined, 'grpc'), /no port named "grpc" \(platform\.port\)/);
  });
});
