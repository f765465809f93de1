import type { Color } from '../../core/types.ts';

/** Server-side apply field manager, and the name in every managedFields entry cutover writes. */
export const FIELD_MANAGER = 'cutover';

/** Labels cutover sets on each color's Deployment, its pod template and its selector. */
export const LABEL_APP = 'app';
export const LABEL_COLOR = 'color';
export const LABEL_VERSION = 'version';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';

/** The real version, which a label may not hold verbatim (see versionLabel). */
export const VERSION_ANNOTATION = 'cutover.dev/version';

/** The env var that carries a color's feature flags. */
export const FLAGS_ENV = 'FEATURE_FLAGS_JSON';

/** The selector value of `color` while the active Service points at the maintenance Deployment. */
export const MAINTENANCE_COLOR = 'maintenance';

export function deploymentName(app: string, color: Color): string {
  return `${app}-${color}`;
}

/** The Lease (lock) and the ConfigMap (state) share this name. */
export function stateObjectName(app: string): string {
  return `${app}-cutover`;
}

export function maintenanceDeploymentName(app: string): string {
  return `${app}-maintenance`;
}

/** Pods of one color of one app. */
export function colorSelector(app: string, color: Color | typeof MAINTENANCE_COLOR): string {
  return `${LABEL_APP}=${app},${LABEL_COLOR}=${color}`;
}

/**
 * A label value can hold at most 63 characters from [A-Za-z0-9._-]; versions allow `+`
 * (semver build metadata), which becomes `_`.
 */
export function versionLabel(version: string): string {
  return version.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 63).replace(/[^A-Za-z0-9]+$/, '');
}
