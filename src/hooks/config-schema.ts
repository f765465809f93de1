import * as z from 'zod';
import { durationField } from '../config/fields.ts';

/** The points of a release where `hooks.<point>` commands run, in the order a deploy reaches them. */
export const HOOK_POINTS = ['beforeProvision', 'afterVerify', 'beforeSwitch', 'afterSwitch', 'afterBake', 'onRollback', 'onContractRollback'] as const;
export type HookPoint = (typeof HOOK_POINTS)[number];

const argv = z.array(z.string().min(1)).min(1)
  .describe('argv: the program and its arguments, run without a shell (e.g. ["./scripts/notify.sh", "deploying"])');

const hookCommand = z.object({
  command: argv,
  timeout: durationField('How long this command may run before it is killed and counts as failed.').optional(),
}).strict();

/** One argv (a single command), or a list of `{ command, timeout }` run in order. */
const hookList = z.union([argv, z.array(hookCommand).min(1)]);

/** The `hooks:` key of cutover.yaml. */
export const hooksSchema = z.object({
  timeout: durationField('Default time limit for every hook command.').default('5m'),
  beforeProvision: hookList.optional().describe('Before the idle color is started. A failure stops the release; live traffic is untouched.'),
  afterVerify: hookList.optional().describe('After health checks, smoke tests and analysis passed (e.g. integration tests against CUTOVER_PREVIEW_URL). A failure stops the release.'),
  beforeSwitch: hookList.optional().describe('Right before live traffic moves. A failure stops the release as a failed check would.'),
  afterSwitch: hookList.optional().describe('Right after the switch was proven. A failure rolls back.'),
  afterBake: hookList.optional().describe('After the bake window, before the old color is retired. A failure rolls back.'),
  onRollback: hookList.optional().describe('After traffic is back on the previous color (e.g. notify the team). A failure is reported; the rollback stands.'),
  onContractRollback: hookList.optional().describe('Runs when `cutover rollback --force` rolls back past a contract migration, before traffic moves: the place for a point-in-time database restore. A failure stops the rollback.'),
}).strict().describe('Commands run at the phase boundaries of a release; each gets CUTOVER_APP, CUTOVER_VERSION, CUTOVER_COLOR, CUTOVER_LIVE_COLOR, CUTOVER_PREVIOUS_VERSION and CUTOVER_PREVIEW_URL.');

export type HooksConfig = z.output<typeof hooksSchema>;
