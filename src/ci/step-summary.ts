import { appendFileSync } from 'node:fs';
import { formatDuration } from '../config/duration.ts';
import type { OperationResult } from '../core/engine/operation-result.ts';
import type { PhaseRecord } from '../core/types.ts';

/** The commands whose result goes into a GitHub Actions job summary. */
export const SUMMARY_COMMANDS: ReadonlySet<string> = new Set(['deploy', 'rollback', 'promote']);

const OUTCOME_LABEL: Record<OperationResult['outcome'], string> = {
  promoted: 'promoted',
  rolled_back: 'rolled back',
  failed: 'failed',
  aborted: 'aborted',
  stranded: 'stranded: traffic could not be moved back (see the next command)',
  waiting: 'verified, waiting at the gate',
};

/**
 * Appends the Markdown summary of `result` to the file GitHub Actions names in
 * GITHUB_STEP_SUMMARY, whether cutover runs from the Action or from a plain `run:` step.
 * Does nothing when the variable is unset; a summary that cannot be written is a warning on
 * stderr, never a failed release.
 */
export function appendStepSummary(command: string, result: OperationResult, env: NodeJS.ProcessEnv = process.env): void {
  const file = env['GITHUB_STEP_SUMMARY'];
  if (!file || !SUMMARY_COMMANDS.has(command)) return;
  try {
    appendFileSync(file, renderStepSummary(command, result));
  } catch (err) {
    process.stderr.write(`cutover: could not append the job summary to ${file}: ${(err as Error).message}\n`);
  }
}

/**
 * For a command that ended in an error instead of an outcome (no daemon, a bad config, a held
 * lock, a refusal, a usage error, a bug): appends what was run, the exit code, the error's code
 * and message, so a failed job says why in its summary too. Same rules as appendStepSummary.
 */
export function appendErrorSummary(command: string, error: { message: string; code?: string }, exitCode: number, env: NodeJS.ProcessEnv = process.env): void {
  const file = env['GITHUB_STEP_SUMMARY'];
  if (!file || !SUMMARY_COMMANDS.has(command.split(' ')[0]!)) return;
  try {
    appendFileSync(file, renderErrorSummary(command, error, exitCode));
  } catch (err) {
    process.stderr.write(`cutover: could not append the job summary to ${file}: ${(err as Error).message}\n`);
  }
}

/** The error summary as Markdown: heading with the exit code, then the error, then the next step. */
export function renderErrorSummary(command: string, error: { message: string; code?: string }, exitCode: number): string {
  const next = exitCode === 70
    ? 'This is a bug in cutover; please report it with the output of `CUTOVER_DEBUG=1 cutover ...`.'
    : 'Run `cutover status` to see which color serves traffic and whether an operation was left in progress.';
  return [
    `### cutover ${command}: error (exit ${exitCode})`,
    '',
    `${error.code ? `\`${error.code}\`: ` : ''}${cell(error.message)}`,
    '',
    next,
    '',
  ].join('\n') + '\n';
}

/** The summary as Markdown: outcome, phases with timing, switch proof, analysis, migrations, why it rolled back. */
export function renderStepSummary(command: string, result: OperationResult): string {
  const lines: string[] = [];
  const subject = result.version ? `${command} ${result.version}` : command;
  lines.push(`### cutover ${subject}: ${OUTCOME_LABEL[result.outcome]}`, '');
  lines.push(`${cell(result.message)}`, '');
  lines.push(`Live: **${result.live.color ? `${result.live.color} (${result.live.version ?? 'unknown'})` : 'nothing'}** · operation \`${result.operationId}\``, '');
  if (result.phases.length > 0) {
    lines.push('| phase | result | time | detail |', '|---|---|---|---|');
    for (const phase of result.phases) lines.push(`| ${phase.name} | ${statusMark(phase)} | ${formatDuration(phase.durationMs)} | ${cell(phase.detail)} |`);
    lines.push('');
  }
  const proofs = result.phases.flatMap((phase) => {
    const proof = record(record(phase.data)?.['proof']);
    return typeof proof?.['detail'] === 'string' ? [`- **${phase.name}**: ${proof['ok'] === false ? 'NOT PROVEN: ' : ''}${cell(proof['detail'])}`] : [];
  });
  if (proofs.length > 0) lines.push('**Switch proof**', '', ...proofs, '');
  const verdicts = result.phases.flatMap((phase) => analysisRows(phase));
  if (verdicts.length > 0) lines.push('**Analysis**', '', '| phase | metric | verdict | reason |', '|---|---|---|---|', ...verdicts, '');
  const findings = result.phases.flatMap((phase) => findingRows(phase));
  if (findings.length > 0) lines.push('**Migration findings**', '', '| file | rule | severity | message |', '|---|---|---|---|', ...findings, '');
  if (result.outcome === 'rolled_back' || result.outcome === 'failed') {
    const failed = result.phases.find((phase) => phase.status === 'failed');
    lines.push(`**Why**: ${cell(failed ? `${failed.name}: ${failed.detail}` : result.message)}`, '');
  }
  return `${lines.join('\n')}\n`;
}

function statusMark(phase: PhaseRecord): string {
  return phase.status === 'succeeded' ? '✅ succeeded' : phase.status === 'failed' ? '❌ failed' : phase.status;
}

/** Per-metric verdicts from a phase's evidence (verify's `analysis`, monitor's `analysis`). */
function analysisRows(phase: PhaseRecord): string[] {
  const analysis = record(record(phase.data)?.['analysis']);
  const metrics = analysis?.['metrics'];
  if (!Array.isArray(metrics)) return [];
  return metrics.map((m) => {
    const metric = record(m) ?? {};
    return `| ${phase.name} | ${cell(metric['metric'])} | ${cell(metric['verdict'])} | ${cell(metric['reason'])} |`;
  });
}

/** Lint findings from a phase's evidence (preflight's lint report, migrate-expand's run). */
function findingRows(phase: PhaseRecord): string[] {
  const data = record(phase.data);
  const findings = Array.isArray(data?.['findings']) ? data['findings'] : Array.isArray(phase.data) ? phase.data : [];
  return findings.flatMap((f) => {
    const finding = record(f);
    if (!finding || typeof finding['rule'] !== 'string') return [];
    return [`| ${cell(`${finding['file']}:${finding['line']}`)} | ${cell(finding['rule'])} | ${cell(finding['severity'])} | ${cell(finding['message'])} |`];
  });
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : undefined;
}

/** One Markdown table cell: no line breaks, pipes escaped, bounded length. */
function cell(value: unknown): string {
  const text = String(value ?? '').replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
  return text.length > 500 ? `${text.slice(0, 497)}...` : text;
}
