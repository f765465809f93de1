import { PatchStrategy, setHeaderOptions, type KubernetesObject, type V1Service } from '@kubernetes/client-node';
import type { Color } from '../../core/types.ts';
import type { KubeClients } from './kube-clients.ts';
import { kube, kubeOptional } from './kube-errors.ts';
import { FIELD_MANAGER, LABEL_COLOR, LABEL_MANAGED_BY } from './object-names.ts';
import { missingActiveService, selectedColor, type SelectedColor } from './platform-status.ts';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * The user's active Service (cutover only ever changes `color` in its selector) and the
 * preview Service cutover owns.
 */
export class ServiceTraffic {
  private readonly clients: KubeClients;
  private readonly namespace: string;
  readonly active: string;
  readonly preview: string;

  constructor(options: { clients: KubeClients; namespace: string; active: string; preview: string }) {
    this.clients = options.clients;
    this.namespace = options.namespace;
    this.active = options.active;
    this.preview = options.preview;
  }

  /**
   * Reads the active Service. Idempotent.
   * @throws CutoverError('not-found') with a hint when it does not exist: cutover never creates it.
   */
  async readActive(): Promise<V1Service> {
    const svc = await kubeOptional(`reading Service ${this.namespace}/${this.active}`, () =>
      this.clients.core.readNamespacedService({ name: this.active, namespace: this.namespace }));
    if (!svc) throw missingActiveService(this.namespace, this.active);
    return svc;
  }

  /** The color the selector names, or null when it names none (first deploy) or something else. */
  static selectedColor(svc: V1Service): SelectedColor {
    return selectedColor(svc);
  }

  /**
   * Sets `color` in the active Service's selector with a JSON merge patch, which touches no
   * other key. Idempotent. Returns how long the API server took to accept it.
   */
  async setSelectorColor(color: string): Promise<number> {
    const started = performance.now();
    await kube(`patching the selector of Service ${this.namespace}/${this.active} to color=${color}`, () =>
      this.clients.core.patchNamespacedService(
        { name: this.active, namespace: this.namespace, body: { spec: { selector: { [LABEL_COLOR]: color } } } },
        mergePatch,
      ));
    return performance.now() - started;
  }

  /** Replaces the whole selector (maintenance off restores it exactly). Idempotent. */
  async setSelector(selector: Record<string, string>): Promise<void> {
    const current = (await this.readActive()).spec?.selector ?? {};
    // A merge patch only adds and changes keys; keys to drop must be sent as null.
    const body: Record<string, string | null> = { ...selector };
    for (const key of Object.keys(current)) if (!(key in selector)) body[key] = null;
    await kube(`restoring the selector of Service ${this.namespace}/${this.active}`, () =>
      this.clients.core.patchNamespacedService({ name: this.active, namespace: this.namespace, body: { spec: { selector: body } } }, mergePatch));
  }

  /**
   * Creates or updates (server-side apply) the preview Service: the active Service's ports and
   * selector, with `color` set to the idle color. Idempotent.
   */
  async pointPreviewAt(color: Color, active?: V1Service): Promise<void> {
    const svc = active ?? (await this.readActive());
    const ports = (svc.spec?.ports ?? []).map((p) => ({
      name: p.name,
      port: p.port,
      targetPort: p.targetPort,
      protocol: p.protocol,
      appProtocol: p.appProtocol,
    }));
    const body: KubernetesObject & { spec: unknown } = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: this.preview,
        namespace: this.namespace,
        labels: { [LABEL_MANAGED_BY]: FIELD_MANAGER },
        annotations: { 'cutover.dev/previews': this.active },
      },
      spec: { type: 'ClusterIP', selector: { ...svc.spec?.selector, [LABEL_COLOR]: color }, ports },
    };
    await kube(`applying the preview Service ${this.namespace}/${this.preview}`, () =>
      this.clients.objects.patch(body, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply));
  }
}
