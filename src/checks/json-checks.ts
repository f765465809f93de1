import { lookupJsonPath, parseJsonPath, type JsonPathSegment } from '../config/json-path.ts';

/** What a JSON health body says about its sub-checks. */
export interface JsonChecksVerdict {
  ok: boolean;
  /** Entries found at the path (0 when the path is missing or not a list/map). */
  entries: number;
  /** One line per unhealthy entry, e.g. `checks[1] (database) reported "degraded"`. */
  problems: string[];
}

// Words apps use for "fine". Anything else (degraded, warn, unknown, ...) counts as unhealthy.
const HEALTHY_WORDS = new Set([
  'healthy', 'ok', 'pass', 'passed', 'passing', 'up', 'success', 'succeeded', 'ready',
  'available', 'alive', 'online', 'serving', 'green', 'true',
]);
const STATUS_KEYS = ['status', 'state', 'health', 'healthy', 'ok', 'up', 'passed', 'success', 'result'];
const NAME_KEYS = ['name', 'id', 'component', 'service', 'check', 'key'];
const MESSAGE_KEYS = ['error', 'message', 'reason', 'output', 'detail', 'details'];
const MAX_MESSAGE = 160;

type Plain = Record<string, unknown>;

function isPlainObject(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Looks a key up case-insensitively: apps write `Status`, `status` and `STATUS`. */
function lookup(object: Plain, keys: readonly string[]): { key: string; value: unknown } | undefined {
  const byLower = new Map(Object.keys(object).map((key) => [key.toLowerCase(), key]));
  for (const wanted of keys) {
    const key = byLower.get(wanted);
    if (key !== undefined) return { key, value: object[key] };
  }
  return undefined;
}

function isHealthyWord(text: string): boolean {
  return HEALTHY_WORDS.has(text.trim().toLowerCase());
}

function show(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value) ?? value);
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text;
}

/** An object that is one check itself (`{status: "ok"}`), rather than a map of checks. */
function isSingleEntry(object: Plain): boolean {
  const status = lookup(object, STATUS_KEYS);
  return status !== undefined && (typeof status.value === 'string' || typeof status.value === 'boolean');
}

/** Returns null when the entry is healthy, or what it reported when it is not. */
function entryProblem(entry: unknown, depth = 0): string | null {
  if (typeof entry === 'boolean') return entry ? null : 'reported false';
  if (typeof entry === 'string') return isHealthyWord(entry) ? null : `reported ${show(entry)}`;
  if (!isPlainObject(entry)) return `reported ${show(entry)}`;

  const status = lookup(entry, STATUS_KEYS);
  let problem: string | null;
  if (status === undefined) {
    problem = 'has no status';
  } else if (typeof status.value === 'boolean') {
    problem = status.value ? null : `reported ${status.key}: false`;
  } else if (typeof status.value === 'string') {
    problem = isHealthyWord(status.value) ? null : `reported ${show(status.value)}`;
  } else if (isPlainObject(status.value) && depth < 2) {
    // e.g. {name: "db", health: {status: "ok"}}
    problem = entryProblem(status.value, depth + 1);
  } else {
    problem = `reported ${status.key}: ${show(status.value)}`;
  }
  if (problem === null) return null;

  const message = lookup(entry, MESSAGE_KEYS);
  if (message !== undefined && typeof message.value === 'string' && message.value.trim() !== '') {
    const text = message.value.trim();
    problem += `: ${text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text}`;
  }
  return problem;
}

function entryName(entry: unknown): string | undefined {
  if (!isPlainObject(entry)) return undefined;
  const name = lookup(entry, NAME_KEYS);
  return typeof name?.value === 'string' || typeof name?.value === 'number' ? String(name.value) : undefined;
}

/**
 * Judges the sub-checks at `path` (a key or path such as `data.checks`, in the syntax of
 * ../config/json-path.ts) of a parsed
 * JSON body. Accepts the shapes apps use:
 * - a list: `[{name, status: "ok"}]`, `[{name, healthy: true}]`, `["ok", true]`
 * - a map: `{db: {status: "up"}, cache: "ok", queue: true}`
 * - a single check object: `{status: "pass"}`
 * Anything not clearly healthy is unhealthy, and each problem names its entry. Pure; never throws.
 */
export function evaluateJsonChecks(body: unknown, path: string): JsonChecksVerdict {
  let segments: JsonPathSegment[];
  try {
    segments = parseJsonPath(path);
  } catch (err) {
    return { ok: false, entries: 0, problems: [(err as Error).message] };
  }
  const lookup = lookupJsonPath(body, segments);
  if ('missing' in lookup) return { ok: false, entries: 0, problems: [`body has no "${path}"`] };
  const value = lookup.found;

  const problems: string[] = [];
  let entries: number;
  if (Array.isArray(value)) {
    entries = value.length;
    value.forEach((entry, index) => {
      const problem = entryProblem(entry);
      if (problem === null) return;
      const name = entryName(entry);
      problems.push(`${path}[${index}]${name === undefined ? '' : ` (${name})`} ${problem}`);
    });
  } else if (isPlainObject(value) && isSingleEntry(value)) {
    entries = 1;
    const problem = entryProblem(value);
    if (problem !== null) problems.push(`${path} ${problem}`);
  } else if (isPlainObject(value)) {
    entries = Object.keys(value).length;
    for (const [key, entry] of Object.entries(value)) {
      const problem = entryProblem(entry);
      if (problem !== null) problems.push(`${path}.${key} ${problem}`);
    }
  } else {
    const found = value === null ? 'null' : typeof value;
    return { ok: false, entries: 0, problems: [`"${path}" is ${found}, expected a list or map of checks`] };
  }
  return { ok: problems.length === 0, entries, problems };
}
