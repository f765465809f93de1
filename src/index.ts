/**
 * The programmatic API (`import { openContext, deploy } from 'cutover'`): the same config
 * loader, wiring and operations the CLI uses, so a script gets the same guarantees and the same
 * state and lock as `cutover deploy`. Each operation takes `ctx.deps` from `openContext`.
 */
export { loadConfig, parseConfig } from './config/load.ts';
export type { ResolvedConfig } from './config/resolved.ts';
export { openContext, type CommandContext, type GlobalOptions } from './cli/context.ts';
export { createPlatform, type Platform } from './drivers/create-platform.ts';
export { deploy } from './core/operations/deploy.ts';
export { promote } from './core/operations/promote.ts';
export { rollbackCommand as rollback } from './core/operations/rollback-operation.ts';
export { abortOperation as abort } from './core/operations/abort.ts';
export { finalize } from './core/operations/finalize.ts';
export { resume } from './core/operations/resume.ts';
export type { OperationResult } from './core/engine/operation-result.ts';
export type { CoreDeps, Reporter, Verifier, GatePrompt, LifecycleEvent } from './core/deps.ts';
export type { PlatformDriver } from './core/driver.ts';
export type { StateStore } from './core/store.ts';
export { CutoverError, EXIT_CODES, isCutoverError, type ErrorCode } from './core/errors.ts';
export type { AppState, Color, HistoryEntry, OperationOptions, Outcome, PhaseName, PhaseRecord } from './core/types.ts';
