import { CutoverError } from '../../core/errors.ts';

export type JsonPathSegment = string | number;

// A JSONPath subset (dots, [index], ['key']) written here: jsonpath-plus is only a
// transitive dependency, and its filter expressions run user text as script, which a
// metric path never needs.
const SEGMENT = /\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\]/y;

/**
 * Parses `data.errorRate`, `$.series[0].value` or `checks['db pool'].used`.
 * @throws CutoverError('config') naming the position that does not parse.
 */
export function parseJsonPath(path: string): JsonPathSegment[] {
  let text = path.trim();
  if (text.startsWith('$')) text = text.slice(1);
  if (text !== '' && !text.startsWith('.') && !text.startsWith('[')) text = `.${text}`;
  const segments: JsonPathSegment[] = [];
  SEGMENT.lastIndex = 0;
  while (SEGMENT.lastIndex < text.length) {
    const at = SEGMENT.lastIndex;
    const match = SEGMENT.exec(text);
    if (!match) throw new CutoverError('config', `JSON path "${path}" does not parse near "${text.slice(at, at + 20)}" (use a.b, a[0] or a['key'])`);
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else segments.push((match[3] ?? match[4]).replace(/\\(.)/g, '$1'));
  }
  return segments;
}

/** The value at `segments`, or `{ missing }` naming the first segment that was not there. */
export function lookupJsonPath(root: unknown, segments: readonly JsonPathSegment[]): { found: unknown } | { missing: string } {
  let node = root;
  for (let i = 0; i < segments.length; i++) {
    const key = segments[i];
    const container = node as Record<string | number, unknown> | null;
    const present =
      typeof key === 'number'
        ? Array.isArray(container) && key < container.length
        : container !== null && typeof container === 'object' && !Array.isArray(container) && Object.hasOwn(container, key);
    if (!present) return { missing: formatPath(segments.slice(0, i + 1)) };
    node = container![key];
  }
  return { found: node };
}

export function formatPath(segments: readonly JsonPathSegment[]): string {
  return segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('') || '$';
}
