// A malformed kubeconfig is bad input, not a bug: every command on a Kubernetes app exits 2 and
// names the file and the field that is off. `status` reads the kubeconfig by hand (its fast path,
// src/drivers/kubernetes/kubeconfig-cache.ts); `doctor`, like every other verb, goes through the
// generated client's loader. A user must see the same message from either, and `status` must
// not load the generated client (seconds of start-up) only to report a typo.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { traceModules } from './support/module-trace.ts';

const BIN = fileURLToPath(new URL('../bin/cutover', import.meta.url));
const run = promisify(execFile);

const CLUSTER = 'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]\n';
const CONTEXT = 'current-context: dev\ncontexts: [{name: dev, context: {cluster: c, user: u}}]\n';
const USER = 'users: [{name: u, user: {token: x}}]\n';

/** Each malformed kubeconfig, and what the error must say after `kubeconfig <file>`. */
const malformed: Array<{ name: string; text: string; says: RegExp }> = [
  { name: 'contexts as a mapping', text: `current-context: dev\ncontexts: {dev: {cluster: c, user: u}}\n${CLUSTER}${USER}`, says: /: contexts: expected a list, found an object$/m },
  { name: 'contexts as a number', text: `current-context: dev\ncontexts: 3\n${CLUSTER}${USER}`, says: /: contexts: expected a list, found number 3$/m },
  { name: 'a server that is a number', text: `${CONTEXT}clusters: [{name: c, cluster: {server: 42}}]\n${USER}`, says: /: clusters\[0\]\.cluster\.server: expected a non-empty string, found number 42$/m },
  { name: 'a cluster without a server', text: `${CONTEXT}clusters: [{name: c, cluster: {insecure-skip-tls-verify: true}}]\n${USER}`, says: /: clusters\[0\]\.cluster\.server: required \(expected a non-empty string\)$/m },
  { name: 'a context without a cluster', text: `current-context: dev\ncontexts: [{name: dev, context: {user: u}}]\n${CLUSTER}${USER}`, says: /: contexts\[0\]\.context\.cluster: required \(expected a non-empty string\)$/m },
  { name: 'users as a string', text: `${CONTEXT}${CLUSTER}users: everyone\n`, says: /: users: expected a list, found "everyone"$/m },
  { name: 'a list at the top level', text: '- clusters: []\n', says: /: \(top level\): expected a mapping, found a list of 1$/m },
  { name: 'YAML that does not parse', text: `${CONTEXT}clusters: [{name: c\n`, says: / is not valid YAML:\n {2}line 4, column 1: /m },
  // Well-formed, but pointing at nothing: the same refusal from both paths too.
  { name: 'a current-context that is not there', text: `current-context: gone\ncontexts: [{name: dev, context: {cluster: c, user: u}}]\n${CLUSTER}${USER}`, says: / has no context "gone" \(its current-context\); kubectl config get-contexts lists those it has$/m },
  { name: 'a context naming a cluster that is not there', text: `current-context: dev\ncontexts: [{name: dev, context: {cluster: gone, user: u}}]\n${CLUSTER}${USER}`, says: /: context "dev" names cluster "gone", which it does not define$/m },
];

async function cutover(dir: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  const full: NodeJS.ProcessEnv = { ...process.env, CI: 'true', NO_COLOR: '1', XDG_CACHE_HOME: join(dir, 'cache'), ...env };
  delete full.GITHUB_STEP_SUMMARY;
  return run(process.execPath, [BIN, ...args], { cwd: dir, env: full, timeout: 60_000 })
    .then(() => ({ code: 0, stderr: '' }), (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }));
}

describe('a malformed kubeconfig', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cutover-bad-kubeconfig-'));
    writeFileSync(join(dir, 'deploy.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  template:\n    spec:\n      containers: [{name: app, image: x}]\n');
    writeFileSync(join(dir, 'cutover.yaml'), 'app: shop\nplatform:\n  kind: kubernetes\n  service: shop\n  deployment: deploy.yaml\n  image: "r/shop:${version}"\nhealth:\n  checks:\n    - http: /health\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  malformed.forEach(({ name, text, says }, i) => {
    test(`${name}: status and doctor exit 2 with the same message, naming the file and the field`, async () => {
      const file = join(dir, `kubeconfig-${i}`);
      writeFileSync(file, text);
      const status = await cutover(dir, ['status'], { KUBECONFIG: file });
      const doctor = await cutover(dir, ['doctor'], { KUBECONFIG: file });
      assert.equal(status.code, 2, status.stderr);
      assert.ok(status.stderr.includes(`kubeconfig ${file}`), status.stderr);
      assert.match(status.stderr, says);
      assert.deepEqual(doctor, status);
    });
  });

  test('status reports it without loading the generated Kubernetes client (a field that is off, a cluster that is not there)', async () => {
    for (const bad of [malformed[0]!, malformed.at(-1)!]) {
      const file = join(dir, 'kubeconfig-traced');
      writeFileSync(file, bad.text);
      const traced = await traceModules(BIN, ['status'], { cwd: dir, env: { CI: 'true', KUBECONFIG: file, XDG_CACHE_HOME: join(dir, 'cache') } });
      assert.equal(traced.code, 2, traced.stderr);
      assert.match(traced.stderr, bad.says);
      assert.deepEqual(traced.modules.filter((url) => url.includes('/node_modules/@kubernetes/client-node/')), [], bad.name);
    }
  });
});
