export type {
  CheckResult,
  CheckRunOptions,
  CheckSpec,
  CheckTarget,
  CommandCheckSpec,
  HealthPolicy,
  HealthReport,
  HealthRound,
  HttpCheckSpec,
  SmokeReport,
  SmokeResult,
  SmokeSpec,
  TcpCheckSpec,
} from './types.ts';
export {
  healthCheckSchema,
  healthSchema,
  normalizeHealth,
  normalizeSmoke,
  smokeCommandSchema,
  smokeSchema,
  type HealthInput,
  type SmokeInput,
} from './config-schema.ts';
export { evaluateJsonChecks, type JsonChecksVerdict } from './json-checks.ts';
export { runHttpCheck } from './http-check.ts';
export { runTcpCheck } from './tcp-check.ts';
export { runCommandCheck } from './command-check.ts';
export { checkOnce, describeCheckFailure, describeFailures } from './health-round.ts';
export { waitHealthy, type WaitHealthyOptions } from './wait-healthy.ts';
export { runSmokeTests, type SmokeRunOptions } from './smoke-runner.ts';
