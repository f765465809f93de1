import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import type { Diagnosis } from '../../core/driver.ts';
import { COLORS, type Color } from '../../core/types.ts';
import type { ResolvedKubernetesPlatform } from './config-schema.ts';
import { checkEndpoints } from './endpoint-proof.ts';
import type { KubeClients } from './kube-clients.ts';
import { apiMessage } from './kube-errors.ts';
import { deploymentName, LABEL_APP, LABEL_COLOR, MAINTENANCE_COLOR } from './object-names.ts';
import { describeEvent, describePod, eventTime } from './pod-diagnosis.ts';
import { isPodReady, livePods, versionOf } from './rollout-progress.ts';
import { checkRbac } from './rbac-rules.ts';
import { ServiceTraffic } from './service-traffic.ts';

export interface DoctorInput {
  clients: KubeClients;
  platform: ResolvedKubernetesPlatform;
  traffic: ServiceTraffic;
}

/**
 * The runbooks' troubleshooting sections ("Service not routing to new version", "Green pods
 * not ready", "Traffic not switching"), as findings with a verdict and a fix. Never throws: a
 * failed read becomes a finding.
 */
export async function diagnoseApp(input: DoctorInput): Promise<Diagnosis[]> {
  const { clients, platform } = input;
  const ns = platform.namespace;
  // Rights first: a user who lacks them gets half-answers from every check below.
  const findings: Diagnosis[] = [await checkRbac(clients, ns)];
  let active: V1Service;
  try {
    active = await input.traffic.readActive();
  } catch (err) {
    return [...findings, { check: 'service', verdict: 'problem', detail: (err as Error).message, fix: `create Service ${platform.service} in ${ns} selecting {app: ${platform.app}, color: blue}` }];
  }
  const [deployments, pods, slices, events, preview] = await Promise.all([
    Promise.all(COLORS.map((c) => clients.apps.readNamespacedDeployment({ name: deploymentName(platform.app, c), namespace: ns }).catch(() => undefined))),
    clients.core.listNamespacedPod({ namespace: ns, labelSelector: `${LABEL_APP}=${platform.app}` }).then((l) => livePods(l.items)).catch((err: unknown) => err),
    clients.discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: `kubernetes.io/service-name=${platform.service}` }).then((l) => l.items).catch((err: unknown) => err),
    clients.core.listNamespacedEvent({ namespace: ns }).then((l) => l.items).catch((err: unknown) => err),
    clients.core.readNamespacedService({ name: platform.previewService, namespace: ns }).catch(() => undefined),
  ]);
  const byColor: Record<Color, V1Deployment | undefined> = { blue: deployments[0], green: deployments[1] };
  const selected = ServiceTraffic.selectedColor(active);
  const selector = active.spec?.selector ?? {};
  const selectorText = Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',') || '(empty)';

  // 1. The Service selector against each color's pod labels.
  if (selected === null) {
    findings.push({ check: 'service selector', verdict: 'warning', detail: `Service ${platform.service} selects ${selectorText}: no color yet (nothing deployed by cutover)`, fix: '`cutover deploy <version>` sets it' });
  } else if (selected === MAINTENANCE_COLOR) {
    findings.push({ check: 'service selector', verdict: 'warning', detail: `Service ${platform.service} selects the maintenance Deployment`, fix: '`cutover maintenance off` restores the previous selector' });
  }
  for (const color of COLORS) {
    const d = byColor[color];
    if (!d) continue;
    const labels = d.spec?.template?.metadata?.labels ?? {};
    const mismatched = Object.entries(selector).filter(([k, v]) => k !== LABEL_COLOR && labels[k] !== v);
    const matches = mismatched.length === 0 && selector[LABEL_COLOR] === color;
    if (mismatched.length > 0) {
      findings.push({
        check: `selector vs ${color}`,
        verdict: selected === color ? 'problem' : 'warning',
        detail: `Service ${platform.service} selects ${selectorText}, but ${color}'s pods carry ${mismatched.map(([k]) => `${k}=${labels[k] ?? '(none)'}`).join(', ')}`,
        fix: `remove ${mismatched.map(([k]) => k).join(', ')} from the Service selector: cutover manages only color (kubectl patch service ${platform.service} -n ${ns} --type json -p '[{"op":"remove","path":"/spec/selector/${mismatched[0]![0]}"}]')`,
      });
    } else {
      findings.push({ check: `selector vs ${color}`, verdict: 'ok', detail: `${color}'s pod labels ${matches ? 'match' : 'would match'} the Service selector${matches ? ' (live)' : ' once switched'}` });
    }
  }

  // Before the first deploy the Service selects a color nothing runs on yet: that is the
  // starting point cutover expects (`init --platform kubernetes` writes it so), not an outage.
  const firstDeploy = (selected === 'blue' || selected === 'green') && !byColor.blue && !byColor.green
    && pods instanceof Array && pods.length === 0;

  // 2. EndpointSlice readiness, and the loud case: the live color has lost every ready pod.
  if (firstDeploy) {
    findings.push({ check: 'live pods', verdict: 'ok', detail: `nothing deployed yet: Service ${platform.service} selects ${selected}, where nothing runs; the first \`cutover deploy\` goes to ${selected === 'blue' ? 'green' : 'blue'} and switches once it is verified` });
  } else if (pods instanceof Array && slices instanceof Array && (selected === 'blue' || selected === 'green')) {
    const check = checkEndpoints(platform.app, selected, slices, pods);
    const own = pods.filter((p) => p.metadata?.labels?.[LABEL_COLOR] === selected);
    const ready = own.filter(isPodReady);
    if (ready.length === 0) {
      findings.push({
        check: 'live pods',
        verdict: 'problem',
        detail: `LIVE COLOR ${selected.toUpperCase()} HAS NO READY PODS (0/${own.length}): the Service has no ready endpoints and users get errors. ${own.slice(0, 2).map(describePod).join('; ')}`,
        fix: `cutover does not switch to pods it has not verified. See why: \`cutover logs\`, \`kubectl describe pods -n ${ns} -l ${LABEL_APP}=${platform.app},${LABEL_COLOR}=${selected}\`; then deploy a fix or \`cutover rollback\` (which verifies the other color first)`,
      });
    }
    findings.push(check.ok
      ? { check: 'endpoints', verdict: 'ok', detail: `EndpointSlices list ${check.listed} ready endpoint${check.listed === 1 ? '' : 's'}, all ${selected} pods` }
      : { check: 'endpoints', verdict: ready.length === 0 ? 'problem' : 'warning', detail: `EndpointSlices of ${platform.service}: ${check.problems.join('; ')}`, fix: `kubectl get endpointslices -n ${ns} -l kubernetes.io/service-name=${platform.service} -o wide` });
  } else if (!(slices instanceof Array)) {
    findings.push({ check: 'endpoints', verdict: 'problem', detail: `cannot list EndpointSlices: ${apiMessage(slices)}`, fix: 'the kubeconfig user needs list on discovery.k8s.io/endpointslices' });
  }

  // 3. Deployment conditions of each color.
  for (const color of COLORS) {
    const d = byColor[color];
    if (!d) {
      const stranded = selected === color && !firstDeploy;
      findings.push({ check: `deployment ${color}`, verdict: stranded ? 'problem' : 'ok', detail: `${deploymentName(platform.app, color)} does not exist${stranded ? ', yet the Service selects it' : ''}` });
      continue;
    }
    const conditions = d.status?.conditions ?? [];
    const bad = conditions.filter((c) => (c.status !== 'True' && (c.type === 'Available' || c.type === 'Progressing')) || (c.type === 'ReplicaFailure' && c.status === 'True'));
    const text = conditions.map((c) => `${c.type}=${c.status}${c.reason ? ` ${c.reason}` : ''}`).join(', ') || 'no conditions yet';
    const replicas = d.spec?.replicas ?? 1;
    const retired = replicas === 0;
    findings.push(bad.length === 0 || retired
      ? { check: `deployment ${color}`, verdict: 'ok', detail: `${versionOf(d) ?? '?'}, ${d.status?.readyReplicas ?? 0}/${replicas} ready${retired ? ' (retired)' : ''}; ${text}` }
      : {
        check: `deployment ${color}`,
        verdict: selected === color ? 'problem' : 'warning',
        detail: `${versionOf(d) ?? '?'}, ${d.status?.readyReplicas ?? 0}/${replicas} ready; ${bad.map((c) => `${c.type}=${c.status} ${c.reason ?? ''}${c.message ? ` (${c.message})` : ''}`.trim()).join('; ')}`,
        fix: `kubectl describe deployment ${deploymentName(platform.app, color)} -n ${ns}; \`cutover logs\``,
      });
  }

  // 4. The preview Service.
  const idle = selected === 'blue' ? 'green' : selected === 'green' ? 'blue' : null;
  const previewColor = preview?.spec?.selector?.[LABEL_COLOR];
  findings.push(!preview
    ? { check: 'preview service', verdict: 'warning', detail: `${platform.previewService} does not exist yet`, fix: 'the next `cutover deploy` creates it' }
    : { check: 'preview service', verdict: idle && previewColor !== idle ? 'warning' : 'ok', detail: `${platform.previewService} selects ${previewColor ?? '(no color)'}${idle ? ` (idle color: ${idle})` : ''}`, fix: idle && previewColor !== idle ? 'the next `cutover deploy` re-points it' : undefined });

  // 5. The last N events about the app.
  if (events instanceof Array) {
    const prefix = `${platform.app}-`;
    const mine = events.filter((e) => (e.involvedObject.name ?? '').startsWith(prefix) || e.involvedObject.name === platform.service)
      .sort((a, b) => eventTime(a) - eventTime(b)).slice(-platform.doctorEvents);
    const warnings = mine.filter((e) => e.type === 'Warning');
    findings.push({
      check: 'events',
      verdict: warnings.length ? 'warning' : 'ok',
      detail: mine.length
        ? `last ${mine.length} events (${warnings.length} warnings):\n${mine.map((e) => `          ${describeEvent(e)}`).join('\n')}`
        : 'no recent events',
      fix: warnings.length ? `kubectl get events -n ${ns} --sort-by=.lastTimestamp` : undefined,
    });
  } else {
    findings.push({ check: 'events', verdict: 'warning', detail: `cannot list events: ${apiMessage(events)}` });
  }
  if (!(pods instanceof Array)) findings.push({ check: 'pods', verdict: 'problem', detail: `cannot list pods: ${apiMessage(pods)}` });
  return findings;
}

