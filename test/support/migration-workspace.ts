import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioWorkspace } from './workspace.ts';

/** Every phase of a deploy that applies expand migrations, in order. */
export const DEPLOY_PHASES_WITH_MIGRATIONS = ['preflight', 'migrate-expand', 'provision', 'verify', 'gate', 'switch', 'monitor', 'retire'];

/**
 * Adds a `migrations:` section (expand and contract directories, created empty) to the
 * workspace's cutover.yaml. Without `databaseUrl`, cutover uses the embedded PGlite default.
 */
export function configureMigrations(ws: ScenarioWorkspace, databaseUrl?: string): void {
  mkdirSync(join(ws.dir, 'migrations', 'expand'), { recursive: true });
  mkdirSync(join(ws.dir, 'migrations', 'contract'), { recursive: true });
  const text = readFileSync(ws.configPath, 'utf8');
  const url = databaseUrl ? `  databaseUrl: ${databaseUrl}\n` : '';
  writeFileSync(ws.configPath, `${text}migrations:\n  expand: migrations/expand\n  contract: migrations/contract\n${url}`);
}

/** Rewrites `scaleDown.delay`, e.g. to keep the old color running while a test looks at it. */
export function setScaleDownDelay(ws: ScenarioWorkspace, delay: string): void {
  const text = readFileSync(ws.configPath, 'utf8');
  const changed = text.replace(/^scaleDown:\n {2}delay: .*$/m, `scaleDown:\n  delay: ${delay}`);
  assert.notEqual(changed, text, 'the workspace config has no scaleDown.delay to change');
  writeFileSync(ws.configPath, changed);
}

export function writeMigration(ws: ScenarioWorkspace, phase: 'expand' | 'contract', name: string, sql: string): void {
  writeFileSync(join(ws.dir, 'migrations', phase, name), `${sql}\n`);
}

export function removeMigration(ws: ScenarioWorkspace, phase: 'expand' | 'contract', name: string): void {
  rmSync(join(ws.dir, 'migrations', phase, name));
}
