import type { SqlComment } from './sql-file.ts';

/** A `-- cutover:ignore <rule-id>[,<rule-id>…] <reason>` directive. */
export interface Suppression {
  rules: string[];
  reason: string;
  comment: SqlComment;
}

/** A directive that cannot be honoured, and why. */
export interface BadSuppression {
  comment: SqlComment;
  problem: string;
}

const DIRECTIVE = /^(?:--|\/\*)\s*cutover:ignore\b(.*?)(?:\*\/)?\s*$/s;

/**
 * Reads the directives that apply to a statement: those in the comments directly above it,
 * with no blank line in between. A directive without a reason suppresses nothing.
 */
export function readSuppressions(comments: SqlComment[], knownRules: ReadonlySet<string>): { valid: Suppression[]; invalid: BadSuppression[] } {
  const valid: Suppression[] = [];
  const invalid: BadSuppression[] = [];
  for (const comment of comments) {
    const match = DIRECTIVE.exec(comment.text);
    if (!match) continue;
    if (!comment.attached) {
      invalid.push({ comment, problem: 'is separated from the next statement by a blank line, so it applies to nothing' });
      continue;
    }
    const [idList = '', ...reasonWords] = match[1].trim().split(/\s+/);
    const rules = idList.split(',').filter(Boolean);
    const unknown = rules.filter((r) => !knownRules.has(r));
    const reason = reasonWords.join(' ').trim();
    if (rules.length === 0) invalid.push({ comment, problem: 'names no rule id' });
    else if (unknown.length > 0) invalid.push({ comment, problem: `names unknown rule ${unknown.map((r) => `"${r}"`).join(', ')}` });
    else if (reason === '') invalid.push({ comment, problem: 'gives no reason; a reason is required' });
    else valid.push({ rules, reason, comment });
  }
  return { valid, invalid };
}
