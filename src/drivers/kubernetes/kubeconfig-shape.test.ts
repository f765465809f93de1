// The shape check must refuse only what kubectl and the generated client refuse: kubeconfigs as
// tools write them (null lists, extensions, exec plugins, preferences) pass unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isCutoverError } from '../../core/errors.ts';
import { parseKubeconfig } from './kubeconfig-shape.ts';

const written = {
  'kubectl config view of an empty config': 'apiVersion: v1\nclusters: null\ncontexts: null\ncurrent-context: ""\nkind: Config\npreferences: {}\nusers: null\n',
  'minikube (extensions on clusters and contexts)': `apiVersion: v1
clusters:
- cluster:
    certificate-authority: /home/u/.minikube/ca.crt
    extensions:
    - extension: {last-update: "Thu, 03 Dec 2026 05:00:00 UTC", provider: minikube.sigs.k8s.io, version: v1.34.0}
      name: cluster_info
    server: https://192.168.49.2:8443
  name: minikube
contexts:
- context:
    cluster: minikube
    extensions:
    - extension: {provider: minikube.sigs.k8s.io}
      name: context_info
    namespace: default
    user: minikube
  name: minikube
current-context: minikube
kind: Config
preferences: {}
users:
- name: minikube
  user: {client-certificate: /home/u/.minikube/profiles/minikube/client.crt, client-key: /home/u/.minikube/profiles/minikube/client.key}
`,
  'EKS (an exec plugin with args and env)': `apiVersion: v1
clusters: [{name: eks, cluster: {server: "https://ABC.gr7.eu-west-1.eks.amazonaws.com", certificate-authority-data: LS0t}}]
contexts: [{name: eks, context: {cluster: eks, user: eks}}]
current-context: eks
users:
- name: eks
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [--region, eu-west-1, eks, get-token, --cluster-name, prod]
      env: [{name: AWS_PROFILE, value: prod}]
      interactiveMode: IfAvailable
`,
  'a user with no user mapping, a context with no user': 'clusters: [{name: c, cluster: {server: "http://127.0.0.1:8080", insecure-skip-tls-verify: true}}]\ncontexts: [{name: x, context: {cluster: c}}]\nusers: [{name: nobody}]\n',
};

for (const [name, text] of Object.entries(written)) {
  test(`passes: ${name}`, () => {
    assert.doesNotThrow(() => parseKubeconfig('/k', text));
  });
}

test('a refusal is a config error (exit 2) naming the file and the field path', () => {
  const caught = (() => { try { parseKubeconfig('/home/u/.kube/config', 'users: [{name: u, user: {token: 7}}]\n'); } catch (err) { return err; } return null; })();
  assert.ok(isCutoverError(caught) && caught.code === 'config', String(caught));
  assert.equal(caught.message, 'kubeconfig /home/u/.kube/config: users[0].user.token: expected a string, found number 7');
  assert.deepEqual(caught.details, { file: '/home/u/.kube/config', path: 'users[0].user.token' });
});
