import { CutoverError } from '../core/errors.ts';
import type { MeasureContext } from './provider.ts';

/** The placeholders a metric query may use. */
export const TEMPLATE_VARIABLES = ['app', 'color', 'version', 'window', 'targetUrl'] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

const PLACEHOLDER = /\$\{([^}]*)\}/g;

/** The placeholder names used in `text` that are not `known` (default: every variable cutover has), e.g. `['colour']`. */
export function unknownPlaceholders(text: string, known: readonly string[] = TEMPLATE_VARIABLES): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!).filter((name) => !known.includes(name));
}

/**
 * A window in the form Prometheus and people both read: 1500 -> `1500ms`, 30000 -> `30s`,
 * 300000 -> `5m`. Not formatDuration: its `1.5s` is not a valid PromQL range.
 */
export function windowText(ms: number): string {
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1_000 === 0 && ms > 0) return `${ms / 1_000}s`;
  return `${Math.max(1, Math.round(ms))}ms`;
}

/**
 * Substitutes `${app}`, `${color}`, `${version}`, `${window}` and `${targetUrl}`.
 * `escape` adapts each value to where it lands (a PromQL string, a URL, an argv entry).
 * @throws CutoverError('config') on an unknown placeholder, or `${targetUrl}` when the context has none.
 */
export function renderTemplate(
  text: string,
  ctx: MeasureContext,
  escape: (value: string, name: TemplateVariable) => string = (v) => v,
): string {
  return text.replace(PLACEHOLDER, (_whole, name: string) => {
    const value = variableValue(name, ctx);
    if (value === undefined) {
      throw new CutoverError('config', `\${${name}} in "${text}" has no value (known: ${TEMPLATE_VARIABLES.join(', ')}; targetUrl only when the color has an address)`);
    }
    return escape(value, name as TemplateVariable);
  });
}

function variableValue(name: string, ctx: MeasureContext): string | undefined {
  switch (name) {
    case 'app': return ctx.app;
    case 'color': return ctx.color;
    case 'version': return ctx.version;
    case 'window': return windowText(ctx.windowMs);
    case 'targetUrl': return ctx.targetUrl;
    default: return undefined;
  }
}
