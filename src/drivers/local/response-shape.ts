/**
 * Tiny structural checks for the daemon's JSON answers, each naming the first field that is off.
 *
 * Hand-written rather than zod: the client runs in every `cutover status`, and importing zod
 * there costs about 50 ms of CPU on a 2-core machine (`hyperfine 'node -e 0'` against
 * `await import('zod')`), more than the rest of the call. The daemon, which has zod loaded
 * anyway, validates what it receives with zod (admin-requests.ts).
 */
export type Shape = (value: unknown, path: string) => string | null;

const field = (path: string, key: string) => (path ? `${path}.${key}` : key);
const where = (path: string) => path || '(body)';

export const number: Shape = (v, p) => (typeof v === 'number' && Number.isFinite(v) ? null : `${where(p)}: expected a number`);
export const string: Shape = (v, p) => (typeof v === 'string' ? null : `${where(p)}: expected a string`);
export const boolean: Shape = (v, p) => (typeof v === 'boolean' ? null : `${where(p)}: expected true or false`);

export function literal(...values: readonly unknown[]): Shape {
  return (v, p) => (values.includes(v) ? null : `${where(p)}: expected ${values.map((x) => JSON.stringify(x)).join(' or ')}`);
}

export function nullable(shape: Shape): Shape {
  return (v, p) => (v === null ? null : shape(v, p));
}

export function optional(shape: Shape): Shape {
  return (v, p) => (v === undefined ? null : shape(v, p));
}

/** An object with at least these fields (others are allowed: a newer daemon may add some). */
export function object(fields: Readonly<Record<string, Shape>>): Shape {
  return (v, p) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${where(p)}: expected an object`;
    for (const [key, shape] of Object.entries(fields)) {
      const problem = shape((v as Record<string, unknown>)[key], field(p, key));
      if (problem) return problem;
    }
    return null;
  };
}

export function arrayOf(shape: Shape): Shape {
  return (v, p) => {
    if (!Array.isArray(v)) return `${where(p)}: expected an array`;
    for (let i = 0; i < v.length; i++) {
      const problem = shape(v[i], field(p, String(i)));
      if (problem) return problem;
    }
    return null;
  };
}
