import pc from 'picocolors';
import type { Finding, LintReport } from './finding.ts';

export type LintFormat = 'text' | 'json' | 'github';
export const LINT_FORMATS: readonly LintFormat[] = ['text', 'json', 'github'];

/**
 * Renders a lint report: `json` is DESIGN.md's `{files, findings}`, `github` is one
 * workflow command per finding (GitHub shows them as annotations on the diff), `text` is
 * for people. Pure; `color` only affects `text`.
 */
export function formatLintReport(report: LintReport, format: LintFormat, options: { color?: boolean } = {}): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify({ files: report.files, findings: report.findings }, null, 2)}\n`;
    case 'github':
      return report.findings.map(githubAnnotation).join('') + `${summary(report)}\n`;
    case 'text':
      return text(report, options.color ?? false);
  }
}

function text(report: LintReport, color: boolean): string {
  const c = pc.createColors(color);
  const lines: string[] = [];
  for (const f of report.findings) {
    const severity = f.severity === 'error' ? c.red('error') : c.yellow('warning');
    lines.push(`${c.bold(`${f.file}:${f.line}:${f.column}`)} ${severity} ${c.dim(`[${f.rule}]`)}`);
    lines.push(`  ${f.message}`);
    lines.push(`  ${c.cyan('hint:')} ${f.hint}`);
    lines.push('');
  }
  lines.push(summary(report));
  return `${lines.join('\n')}\n`;
}

function summary(report: LintReport): string {
  const errors = report.findings.filter((f) => f.severity === 'error').length;
  const warnings = report.findings.length - errors;
  const files = report.files.length;
  return `${plural(errors, 'error')}, ${plural(warnings, 'warning')} in ${plural(files, 'file')}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

// Workflow commands use %-escapes; property values also escape their separators.
function escapeData(s: string): string {
  return s.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

function escapeProperty(s: string): string {
  return escapeData(s).replaceAll(':', '%3A').replaceAll(',', '%2C');
}

function githubAnnotation(f: Finding): string {
  const props = `file=${escapeProperty(f.file)},line=${f.line},col=${f.column},title=${escapeProperty(`cutover ${f.rule}`)}`;
  return `::${f.severity} ${props}::${escapeData(`${f.message}\nhint: ${f.hint}`)}\n`;
}
