/** Which half of an expand/contract release a migration belongs to. */
export type MigrationPhase = 'expand' | 'contract';

export type Severity = 'error' | 'warning';

/**
 * One lint result, exactly the shape `migrations lint --format json` prints.
 * `line` and `column` are 1-based and count characters, not bytes.
 */
export interface Finding {
  file: string;
  line: number;
  column: number;
  rule: string;
  severity: Severity;
  message: string;
  hint: string;
}

/** What `lintPaths` returns: every file it read, in lint order, and what it found in them. */
export interface LintReport {
  files: string[];
  findings: Finding[];
}

export function hasErrors(report: LintReport): boolean {
  return report.findings.some((f) => f.severity === 'error');
}
