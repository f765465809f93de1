import type { z } from 'zod';

/**
 * Turns zod issues into lines a person can act on: the field path, what was expected and what
 * was found, e.g. `platform.replicas: expected a number, found "two"`.
 */
export function formatIssues(issues: readonly z.core.$ZodIssue[], input: unknown): string[] {
  return issues.map((issue) => {
    const path = pathText(issue.path);
    const found = describeFound(valueAt(input, issue.path));
    switch (issue.code) {
      case 'unrecognized_keys':
        return `${path || '(top level)'}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
      case 'invalid_type':
        // A field that says what it expects in its own words (`expected a duration ...`) keeps them.
        if (found !== 'nothing' && !issue.message.startsWith('Invalid input')) return `${path}: ${issue.message}, found ${found}`;
        return found === 'nothing'
          ? `${path}: required (expected ${article(issue.expected)})`
          : `${path}: expected ${article(issue.expected)}, found ${found}`;
      case 'invalid_union':
        if ('discriminator' in issue && issue.discriminator) {
          const options = (issue as { options?: unknown[] }).options ?? [];
          const key = issue.path.at(-1) === issue.discriminator ? issue.path : [...issue.path, issue.discriminator as string];
          return `${pathText(key)}: expected one of ${options.map(String).join(', ') || 'the known kinds'}, found ${describeFound(valueAt(input, key))}`;
        }
        return `${path}: ${issue.message}, found ${found}`;
      case 'invalid_value':
        return `${path}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, found ${found}`;
      case 'too_small':
      case 'too_big':
        return `${path}: ${issue.message.replace(/^Too (small|big): /, '')}, found ${found}`;
      default:
        return `${path || '(top level)'}: ${issue.message}${found === 'nothing' ? '' : `, found ${found}`}`;
    }
  });
}

function pathText(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)), '');
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** A value as an error message names what was found: `"purple"`, `number 3`, `a list of 2`, `nothing`. */
export function describeFound(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function article(expected: string): string {
  if (expected === 'array') return 'a list';
  if (expected === 'object') return 'a mapping';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}
