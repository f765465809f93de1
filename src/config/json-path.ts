import { CutoverError } from '../core/errors.ts';

export type JsonPathSegment = string | number;

// The one path syntax of cutover.yaml (a health check's `json`, a web metric's `path`): a
// JSONPath subset (dots, [index], ['key']) written here, since jsonpath-plus is only a
// transitive dependency and its filter expressions run user text as script, which a path into
// a health or metrics body never needs. A dotted key is anything but a dot, a bracket or white
// space, so every `json:` a health check accepted before (`data.checks`, `items.0`, `my-app:db`)
// still means what it did.
const SEGMENT = /\.([^.[\]\s]+)|\[(\d+)\]|\[(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\]/y;

/**
 * Parses `data.errorRate`, `$.series[0].value`, `items.0` or `checks['db pool'].used`; a
 * leading `$` (the root) is optional. The empty path is the whole document.
 * @throws CutoverError('config') naming the position that does not parse.
 */
export function parseJsonPath(path: string): JsonPathSegment[] {
  let text = path.trim();
  if (text === '$' || text.startsWith('$.') || text.startsWith('$[')) text = text.slice(1);
  if (text !== '' && !text.startsWith('.') && !text.startsWith('[')) text = `.${text}`;
  const segments: JsonPathSegment[] = [];
  SEGMENT.lastIndex = 0;
  while (SEGMENT.lastIndex < text.length) {
    const at = SEGMENT.lastIndex;
    const match = SEGMENT.exec(text);
    if (!match) throw new CutoverError('config', `JSON path "${path}" does not parse near "${text.slice(at, at + 20)}" (use a.b, a[0] or a['key'])`);
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else segments.push((match[3] ?? match[4]!).replace(/\\(.)/g, '$1'));
  }
  return segments;
}

/** Why `path` does not parse, or undefined when it does: for a schema's refinement. */
export function jsonPathProblem(path: string): string | undefined {
  try {
    parseJsonPath(path);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * The value at `segments`, or `{ missing }` naming the first segment that was not there. A
 * number indexes a list; a key made of digits (`items.0`) indexes a list too, or names an
 * object's key.
 */
export function lookupJsonPath(root: unknown, segments: readonly JsonPathSegment[]): { found: unknown } | { missing: string } {
  let node = root;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const key = typeof segment === 'string' && Array.isArray(node) && /^\d+$/.test(segment) ? Number(segment) : segment;
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
