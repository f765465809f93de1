import type { Color } from '../core/types.ts';
import { runCommandCheck } from './command-check.ts';
import { runHttpCheck } from './http-check.ts';
import { runTcpCheck } from './tcp-check.ts';
import type { CheckResult, CheckRunOptions, CheckSpec, CheckTarget, HealthPolicy } from './types.ts';

/** `blue-1`, `shop-api-green-7d9f`: the color as a whole word in a target name. */
function colorOf(target: CheckTarget): Color | undefined {
  const match = /(?:^|[^a-z])(blue|green)(?:$|[^a-z])/i.exec(target.name);
  return match ? (match[1].toLowerCase() as Color) : undefined;
}

function runCheck(spec: CheckSpec, target: CheckTarget, options: CheckRunOptions): Promise<CheckResult> {
  switch (spec.kind) {
    case 'http':
      return runHttpCheck(spec, target, options);
    case 'tcp':
      return runTcpCheck(spec, target, options);
    case 'command':
      return runCommandCheck(spec, target, { ...options, color: options.color ?? colorOf(target) });
  }
}

/**
 * Runs every check of `policy` against every target once, all at the same time, and returns
 * the results target by target in check order. This is one round of waitHealthy, and what the
 * monitor phase samples. Never throws; an empty `targets` gives an empty list.
 */
export function checkOnce(
  targets: readonly CheckTarget[],
  policy: Pick<HealthPolicy, 'checks'>,
  options: CheckRunOptions = {},
): Promise<CheckResult[]> {
  return Promise.all(targets.flatMap((target) => policy.checks.map((spec) => runCheck(spec, target, options))));
}

/** The failure line a person reads: `GET /health/ready on blue-1 (http://127.0.0.1:41233): 503 after 12ms`. */
export function describeCheckFailure(result: CheckResult): string {
  return `${result.check} on ${result.target} (${result.url}): ${result.reason ?? 'failed'}`;
}

/** Failure lines of a round joined for a summary; past `max`, only a count. */
export function describeFailures(results: readonly CheckResult[], max = 3): string {
  const failed = results.filter((result) => !result.ok);
  const shown = failed.slice(0, max).map(describeCheckFailure);
  if (failed.length > max) shown.push(`${failed.length - max} more failing`);
  return shown.join('; ');
}
