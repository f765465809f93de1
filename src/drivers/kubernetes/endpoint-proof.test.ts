import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1EndpointSlice, V1Pod } from '@kubernetes/client-node';
import { checkEndpoints } from './endpoint-proof.ts';

function pod(name: string, color: string, ready = true): V1Pod {
  return {
    metadata: { name, labels: { app: 'shop', color, version: color === 'green' ? 'v2' : 'v1' } },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

function slice(...endpoints: Array<[string, string, boolean]>): V1EndpointSlice {
  return {
    addressType: 'IPv4',
    endpoints: endpoints.map(([ip, name, ready]) => ({ addresses: [ip], conditions: { ready }, targetRef: { kind: 'Pod', name } })),
  };
}

describe('checkEndpoints: the proof that a switch reached only the new color', () => {
  const pods = [pod('shop-blue-a', 'blue'), pod('shop-blue-b', 'blue'), pod('shop-green-a', 'green'), pod('shop-green-b', 'green')];

  test('given slices listing exactly the ready green pods, green is proven', () => {
    const check = checkEndpoints('shop', 'green', [slice(['10.0.0.3', 'shop-green-a', true], ['10.0.0.4', 'shop-green-b', true])], pods);
    assert.equal(check.ok, true, check.problems.join('; '));
    assert.equal(check.listed, 2);
  });

  test('given a blue endpoint still listed, green is not proven and the message names it', () => {
    const check = checkEndpoints('shop', 'green', [slice(['10.0.0.3', 'shop-green-a', true], ['10.0.0.4', 'shop-green-b', true], ['10.0.0.1', 'shop-blue-a', true])], pods);
    assert.equal(check.ok, false);
    assert.match(check.problems.join('; '), /1 endpoint is not a green pod: 10\.0\.0\.1, shop-blue-a \(blue\)/);
  });

  test('given only one of two ready green pods listed yet, green is not proven', () => {
    const check = checkEndpoints('shop', 'green', [slice(['10.0.0.3', 'shop-green-a', true])], pods);
    assert.equal(check.ok, false);
    assert.match(check.problems.join('; '), /1 of 2 ready green pods are not listed yet/);
  });

  test('given an unready endpoint, or none at all, green is not proven', () => {
    assert.equal(checkEndpoints('shop', 'green', [slice(['10.0.0.3', 'shop-green-a', true], ['10.0.0.4', 'shop-green-b', false])], pods).ok, false);
    const empty = checkEndpoints('shop', 'green', [], pods);
    assert.equal(empty.ok, false);
    assert.match(empty.problems.join('; '), /list no endpoints/);
  });

  test('given an emergency rollback (allowUnready), an unready endpoint of the color is accepted, a foreign one or no ready one is not', () => {
    const mixed = [pod('shop-green-a', 'green'), pod('shop-green-b', 'green', false), pod('shop-blue-a', 'blue', false)];
    const partly = [slice(['10.0.0.3', 'shop-green-a', true], ['10.0.0.4', 'shop-green-b', false])];
    assert.equal(checkEndpoints('shop', 'green', partly, mixed).ok, false, 'a normal switch still wants every endpoint ready');
    const partial = checkEndpoints('shop', 'green', partly, mixed, { allowUnready: true });
    assert.equal(partial.ok, true, partial.problems.join('; '));
    assert.equal(checkEndpoints('shop', 'green', [slice(['10.0.0.3', 'shop-green-a', true], ['10.0.0.1', 'shop-blue-a', false])], mixed, { allowUnready: true }).ok, false);
    const noneReady = checkEndpoints('shop', 'green', [slice(['10.0.0.4', 'shop-green-b', false])], mixed, { allowUnready: true });
    assert.equal(noneReady.ok, false);
    assert.match(noneReady.problems.join('; '), /no ready endpoint/);
  });
});
