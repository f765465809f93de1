import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatLintReport } from './format-report.ts';
import type { LintReport } from './finding.ts';

const report: LintReport = {
  files: ['db/expand/001, a.sql', 'db/expand/002.sql'],
  findings: [
    { file: 'db/expand/001, a.sql', line: 3, column: 7, rule: 'drop-column', severity: 'error', message: 'drops column t.c: 100% gone', hint: 'do it\nlater' },
    { file: 'db/expand/002.sql', line: 1, column: 1, rule: 'do-block', severity: 'warning', message: 'DO block', hint: 'avoid' },
  ],
};

describe('formatLintReport', () => {
  test('json is exactly {files, findings}', () => {
    assert.deepEqual(JSON.parse(formatLintReport(report, 'json')), { files: report.files, findings: report.findings });
  });

  test('github annotations escape what workflow commands treat specially', () => {
    const lines = formatLintReport(report, 'github').trim().split('\n');
    assert.equal(lines[0], '::error file=db/expand/001%2C a.sql,line=3,col=7,title=cutover drop-column::drops column t.c: 100%25 gone%0Ahint: do it%0Alater');
    assert.equal(lines[1], '::warning file=db/expand/002.sql,line=1,col=1,title=cutover do-block::DO block%0Ahint: avoid');
    assert.equal(lines[2], '1 error, 1 warning in 2 files');
  });

  test('text names file:line:column, severity and rule, without color codes unless asked', () => {
    const text = formatLintReport(report, 'text');
    assert.match(text, /^db\/expand\/001, a\.sql:3:7 error \[drop-column\]\n {2}drops column t\.c: 100% gone\n {2}hint: do it/m);
    assert.ok(!text.includes('\u001b['));
    assert.ok(formatLintReport(report, 'text', { color: true }).includes('\u001b['));
  });
});
