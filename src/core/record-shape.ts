import { describeFound } from '../config/format-issues.ts';

/**
 * Small hand-written checks for data cutover reads that it did not just validate with zod: the
 * records it reads back (the state record, history lines), the local daemon's answers
 * (admin-protocol.ts) and kubeconfigs (kubeconfig-shape.ts). Each returns the value, with
 * defaults filled in, or throws a ShapeMismatch naming the first field that is off, in the words
 * config errors use (`colors.blue: expected a mapping, found number 3`).
 *
 * Hand-written rather than zod because every `cutover status` reads the record and the daemon's
 * answer (or the kubeconfig), and loading zod there was one of the largest costs of the command
 * beyond Node's own start-up (docs/BENCHMARKS.md, k8s-switch; for the local client, about 50 ms
 * of CPU on a 2-core machine, `hyperfine 'node -e 0'` against `await import('zod')`); the config schema, read once and cached, keeps zod, and so does
 * the daemon for the requests it receives (admin-requests.ts).
 */
export type Shape<T> = (value: unknown, path: string) => T;

/** The first field of a record that does not have its shape. */
export class ShapeMismatch extends Error {
  readonly path: string;

  constructor(path: string, problem: string) {
    super(`${path || '(top level)'}: ${problem}`);
    this.name = 'ShapeMismatch';
    this.path = path;
  }
}

const child = (path: string, key: string | number) => (typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key);

function mismatch(path: string, expected: string, value: unknown): never {
  throw new ShapeMismatch(path, value === undefined ? `required (expected ${expected})` : `expected ${expected}, found ${describeFound(value)}`);
}

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const string: Shape<string> = (v, p) => (typeof v === 'string' ? v : mismatch(p, 'a string', v));
export const nonEmptyString: Shape<string> = (v, p) => (typeof v === 'string' && v !== '' ? v : mismatch(p, 'a non-empty string', v));
export const number: Shape<number> = (v, p) => (typeof v === 'number' && Number.isFinite(v) ? v : mismatch(p, 'a number', v));
export const integer: Shape<number> = (v, p) => (Number.isSafeInteger(v) ? (v as number) : mismatch(p, 'an integer', v));
export const boolean: Shape<boolean> = (v, p) => (typeof v === 'boolean' ? v : mismatch(p, 'true or false', v));
export const anything: Shape<unknown> = (v) => v;

export function oneOf<const T extends string | number>(...values: readonly T[]): Shape<T> {
  const expected = values.length === 1 ? JSON.stringify(values[0]) : `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`;
  return (v, p) => (values.includes(v as T) ? (v as T) : mismatch(p, expected, v));
}

export function nullable<T>(shape: Shape<T>): Shape<T | null> {
  return (v, p) => (v === null ? null : shape(v, p));
}

export function optional<T>(shape: Shape<T>): Shape<T | undefined> {
  return (v, p) => (v === undefined ? undefined : shape(v, p));
}

/** An absent field gets `make()`; a present one must have the shape. */
export function withDefault<T>(shape: Shape<T>, make: () => T): Shape<T> {
  return (v, p) => (v === undefined ? make() : shape(v, p));
}

export function arrayOf<T>(shape: Shape<T>): Shape<T[]> {
  return (v, p) => (Array.isArray(v) ? v.map((item, i) => shape(item, child(p, i))) : mismatch(p, 'a list', v));
}

/** A mapping from any key to values of one shape. */
export function recordOf<T>(shape: Shape<T>): Shape<Record<string, T>> {
  return (v, p) => {
    if (!isMapping(v)) return mismatch(p, 'a mapping', v);
    const out: Record<string, T> = {};
    for (const [key, value] of Object.entries(v)) out[key] = shape(value, child(p, key));
    return out;
  };
}

type Fields = Readonly<Record<string, Shape<unknown>>>;
type Checked<F extends Fields> = { [K in keyof F]: ReturnType<F[K]> };

/**
 * A mapping with these fields. `unknown: 'keep'` keeps other keys as they are (a record written
 * by a newer cutover still loads and is saved back whole); `'refuse'` names the first one.
 */
export function object<F extends Fields>(fields: F, unknown: 'keep' | 'refuse' = 'keep'): Shape<Checked<F>> {
  return (v, p) => {
    if (!isMapping(v)) return mismatch(p, 'a mapping', v);
    if (unknown === 'refuse') {
      const extra = Object.keys(v).filter((key) => !(key in fields));
      if (extra.length > 0) throw new ShapeMismatch(p, `unknown key${extra.length > 1 ? 's' : ''} ${extra.map((k) => `"${k}"`).join(', ')}`);
    }
    const out: Record<string, unknown> = unknown === 'keep' ? { ...v } : {};
    for (const [key, shape] of Object.entries(fields)) {
      const value = shape(v[key], child(p, key));
      // An optional field that is absent stays absent, rather than becoming `key: undefined`.
      if (value !== undefined) out[key] = value;
      else delete out[key];
    }
    return out as Checked<F>;
  };
}
