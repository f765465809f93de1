import type { Command } from 'commander';
import type { Globals } from './context.ts';

/** Adds one or more commands (a verb and its subcommands) to the program. */
export type RegisterVerb = (program: Command, globals: Globals) => void;

/**
 * One entry per module of `src/cli/commands/`. `verbs` are the top-level command names the
 * module registers; `summary` is what `cutover --help` lists before any verb is loaded (a test
 * keeps it equal to the command's own description); `load` imports the module only when one of
 * its verbs is run, so `--version` and `--help` never load zod, the Kubernetes client or PGlite.
 */
export interface VerbEntry {
  verbs: readonly string[];
  summary: Readonly<Record<string, string>>;
  /** What `--help` shows after a verb's name: its options and arguments, or its subcommands (a test keeps it equal to the loaded command). */
  usage?: Readonly<Record<string, string>>;
  load: () => Promise<RegisterVerb>;
}

/** Every verb of DESIGN.md's CLI contract, in `--help` order. Adding a verb is one line here. */
export const VERBS: readonly VerbEntry[] = [
  { verbs: ['init'], summary: { init: 'write a commented cutover.yaml (and an example app, or Kubernetes manifests)' }, usage: { init: '[options]' }, load: async () => (await import('./commands/init.ts')).registerInit },
  { verbs: ['up'], summary: { up: 'start the local daemon (router and process supervisor) in the background' }, usage: { up: '[options]' }, load: async () => (await import('./commands/up.ts')).registerUp },
  { verbs: ['down'], summary: { down: 'stop the local daemon and every process it started' }, load: async () => (await import('./commands/down.ts')).registerDown },
  { verbs: ['deploy'], summary: { deploy: 'start <version> on the idle color, verify it, switch traffic, monitor, retire the old color' }, usage: { deploy: '[options] <version>' }, load: async () => (await import('./commands/deploy.ts')).registerDeploy },
  { verbs: ['status'], summary: { status: 'show the live color, both colors, and any operation in progress' }, usage: { status: '[options]' }, load: async () => (await import('./commands/status.ts')).registerStatus },
  { verbs: ['promote'], summary: { promote: 'release a deploy waiting at the gate' }, load: async () => (await import('./commands/promote.ts')).registerPromote },
  { verbs: ['rollback'], summary: { rollback: 'send traffic back to the previous color, scaling it up first if it was retired' }, usage: { rollback: '[options]' }, load: async () => (await import('./commands/rollback.ts')).registerRollback },
  { verbs: ['abort'], summary: { abort: 'stop the current operation; the previously live color keeps serving' }, load: async () => (await import('./commands/abort.ts')).registerAbort },
  { verbs: ['finalize'], summary: { finalize: 'end the bake window now and retire the old color' }, load: async () => (await import('./commands/finalize.ts')).registerFinalize },
  { verbs: ['resume'], summary: { resume: 'finish or roll back an operation that was interrupted; with none, rebuild a lost record from the platform' }, load: async () => (await import('./commands/resume.ts')).registerResume },
  { verbs: ['history'], summary: { history: 'show past operations, phase by phase' }, usage: { history: '[options]' }, load: async () => (await import('./commands/history.ts')).registerHistory },
  { verbs: ['logs'], summary: { logs: "print a color's logs (default: the live color)" }, usage: { logs: '[options]' }, load: async () => (await import('./commands/logs.ts')).registerLogs },
  { verbs: ['maintenance'], summary: { maintenance: 'answer live traffic with 503 and a maintenance page, or stop doing so' }, usage: { maintenance: '[options] <on|off>' }, load: async () => (await import('./commands/maintenance.ts')).registerMaintenance },
  { verbs: ['flags'], summary: { flags: 'feature flags passed to a color as FEATURE_FLAGS_JSON' }, usage: { flags: 'set|unset|list' }, load: async () => (await import('./commands/flags.ts')).registerFlags },
  { verbs: ['doctor'], summary: { doctor: 'diagnose the platform, the router, the colors and the lock' }, usage: { doctor: '[options]' }, load: async () => (await import('./commands/doctor.ts')).registerDoctor },
  { verbs: ['rbac'], summary: { rbac: 'print the least Role and RoleBinding cutover needs on Kubernetes (pipe to kubectl apply -f -)' }, usage: { rbac: '[options]' }, load: async () => (await import('./commands/rbac.ts')).registerRbac },
  { verbs: ['migrations'], summary: { migrations: 'lint and apply expand/contract schema migrations' }, usage: { migrations: 'lint|status|expand|contract' }, load: async () => (await import('./commands/migrations-cli.ts')).registerMigrations },
  { verbs: ['dashboard'], summary: { dashboard: 'print the URL (with a fresh access token) of a dashboard that watches and steers releases' }, usage: { dashboard: '[options]' }, load: async () => (await import('./commands/dashboard.ts')).registerDashboard },
  { verbs: ['demo'], summary: { demo: 'run a real blue/green release under load in a temporary directory (needs no setup)' }, usage: { demo: '[options]' }, load: async () => (await import('./commands/demo.ts')).registerDemo },
];

/** The registry entry whose module registers `verb`, if any. */
export function findVerb(verb: string | undefined): VerbEntry | undefined {
  return verb === undefined ? undefined : VERBS.find((entry) => entry.verbs.includes(verb));
}
