import type { HealthPolicy, SmokeSpec } from '../checks/types.ts';
import type { StepReport, Verifier } from '../core/deps.ts';
import type { CheckTargets } from '../core/driver.ts';
import type { Color } from '../core/types.ts';

/**
 * Health checks go to every replica when the platform can reach them one by one (locally),
 * and otherwise to the color's preview address, which still proves the color as a whole.
 */
function checkTargets(targets: CheckTargets): CheckTargets['replicas'] {
  return targets.replicas.length > 0 ? targets.replicas : [{ name: 'preview', url: targets.preview }];
}

/**
 * The checks' modules, loaded when a check first runs: every command builds a verifier, but
 * `status` runs none (without `--probe`), and starts faster without them and the config schema
 * their index re-exports.
 */
const healthRound = () => import('../checks/health-round.ts');

/** The core's Verifier, built from the `health:` and `smoke:` sections of the config. */
export function checkVerifier(health: HealthPolicy, smoke: readonly SmokeSpec[], onProgress?: (text: string) => void): Verifier {
  return {
    async health(targets: CheckTargets, signal: AbortSignal): Promise<StepReport> {
      const [{ waitHealthy }, { describeFailures }] = await Promise.all([import('../checks/wait-healthy.ts'), healthRound()]);
      const report = await waitHealthy(checkTargets(targets), health, {
        signal,
        onRound: (round) => onProgress?.(`health round ${round.round}: ${round.ok ? `ok (${round.consecutive}/${health.successes})` : describeFailures(round.results, 1)}`),
      });
      return { ok: report.healthy, summary: report.summary, data: report };
    },
    async probe(targets: CheckTargets, signal: AbortSignal): Promise<StepReport> {
      const { checkOnce, describeFailures } = await healthRound();
      const results = await checkOnce(checkTargets(targets), health, { signal });
      const failed = results.filter((r) => !r.ok);
      if (results.length === 0) return { ok: false, summary: 'no replicas to probe', data: results };
      return {
        ok: failed.length === 0,
        summary: failed.length === 0 ? `${results.length} checks passed` : describeFailures(results, 2),
        data: results,
      };
    },
    async smoke(targets: CheckTargets, signal: AbortSignal, context: { color: Color; version: string }): Promise<StepReport> {
      if (smoke.length === 0) return { ok: true, summary: 'no smoke tests configured' };
      const { runSmokeTests } = await import('../checks/smoke-runner.ts');
      const report = await runSmokeTests(smoke, { targetUrl: targets.preview, signal, color: context.color, version: context.version });
      return { ok: report.passed, summary: report.summary, data: report.results };
    },
  };
}
