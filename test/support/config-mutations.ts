import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { DESIGN_KUBERNETES_EXAMPLE, DESIGN_LOCAL_EXAMPLE } from './design-examples.ts';

/**
 * Property-based mutations of cutover.yaml for the config fuzz: the DESIGN.md examples, plus
 * one local config that also has every optional section (so their fields get mutated too),
 * with keys dropped, values of the wrong type, huge, negative or zero numbers, odd strings,
 * bad durations and nested junk put at any path.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = ReadonlyArray<string | number>;

/** A local config with every optional section, valid as written. */
export const FULL_LOCAL_EXAMPLE = `${DESIGN_LOCAL_EXAMPLE}
monitor:
  duration: 5m
  interval: 5s
  failureThreshold: 3
gate: manual
maintenance:
  retryAfter: 30s
  message: back soon
flags:
  newCheckout: false
preflight:
  requireHealthyLive: true
migrations:
  databaseUrl: postgres://127.0.0.1:1/app
  lockTimeout: 5s
  statementTimeout: 0
analysis:
  post:
    - name: errors
      provider: { kind: builtin, metric: error-rate }
      interval: 5s
      condition: result < 0.01
notifications:
  webhooks:
    - url: http://127.0.0.1:1/hook
      timeout: 5s
      retries: 2
progressive:
  steps: [10, 50]
  stepDuration: 30s
`.replace(/\nmonitor:\n  duration: 5m\n(?=scaleDown)/, '\n');

/** The seeds, as objects: each is a valid config. */
export const SEEDS: Readonly<Record<string, Json>> = {
  'DESIGN.md local': parse(DESIGN_LOCAL_EXAMPLE) as Json,
  'DESIGN.md kubernetes': parse(DESIGN_KUBERNETES_EXAMPLE) as Json,
  'local with every section': parse(FULL_LOCAL_EXAMPLE) as Json,
};

/** Every path in a value, the root excluded: the places a mutation can hit. */
export function pathsOf(value: Json, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [];
  const entries: Array<[string | number, Json]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  return entries.flatMap(([key, child]) => [[...prefix, key], ...pathsOf(child, [...prefix, key])]);
}

const BAD_DURATIONS = ['0', '0s', '0ms', '-5s', '5', '5 s', '5S', '1e3ms', '0.0000001ms', '999999h', '600h', '2147483648ms',
  '99999999999999999999999999999999h', 's', '5sec', '1h30m', 'NaNms', 'Infinityh', '.5s', '5.s'];
const ODD_STRINGS = ['', ' ', '\t', '\u0000', '\u202e', '🙂', '${version}', '${nope}', '../../../etc/passwd', '/', ':', '::', '[::1]', ':99999',
  '127.0.0.1:-1', '127.0.0.1:0x50', 'localhost:65536', 'http://', '%E0%A4%A', 'null', '~', 'yes', 'x'.repeat(10_000), '-', '--help', '\n\n'];
const ODD_NUMBERS = [0, -1, -0.5, 0.5, 1e-300, 2 ** 31, 2 ** 31 - 1, 2 ** 53 + 1, 1e308, -1e308, Number.MAX_VALUE, Infinity, -Infinity, NaN, 65536, 70000];

const junk: fc.Arbitrary<Json> = fc.letrec<{ node: Json }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom<Json>(null, true, false, ...ODD_NUMBERS, ...ODD_STRINGS, ...BAD_DURATIONS),
    fc.string(),
    fc.double(),
    fc.integer(),
    fc.array(tie('node'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('kind', 'http', 'run', 'url', 'name', 'x', '__proto__', 'constructor', '0', ''), tie('node'), { maxKeys: 3 }),
  ),
})).node;

/** A replacement value: mostly the kinds of mistakes people make, sometimes arbitrary junk. */
const replacement: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(...BAD_DURATIONS),
  fc.constantFrom<Json>(...ODD_STRINGS),
  fc.constantFrom<Json>(...ODD_NUMBERS),
  fc.constantFrom<Json>(null, true, false, [], {}, [null], { '': null }),
  junk,
);

const BAD_ADDRESSES = ['localhost:65536', '127.0.0.1:70000', ':99999', '127.0.0.1', '8080', 'localhost', '127.0.0.1:-1', '[::1]', '[::1]:', '[zz]:80',
  'exa mple:80', 'http://127.0.0.1:8080', '127.0.0.1:08080', '0.0.0.0:0', ':0', '999.999.999.999:80', '127.0.0.1:8080:1'];

/** A value of the same shape as `original`, wrong in the ways that shape goes wrong. */
function sameShapeMistake(original: Json): fc.Arbitrary<Json> {
  if (typeof original === 'string' && /^\d+(\.\d+)?(ms|s|m|h)$/.test(original)) return fc.constantFrom<Json>(...BAD_DURATIONS, 0, 30, -1, 1e21);
  if (typeof original === 'string' && /:\d+$/.test(original)) return fc.constantFrom<Json>(...BAD_ADDRESSES, 8080, 0);
  if (typeof original === 'number') return fc.constantFrom<Json>(...ODD_NUMBERS, String(original), `${original}s`);
  if (typeof original === 'boolean') return fc.constantFrom<Json>('yes', 'true', 1, 0, null);
  if (Array.isArray(original)) return fc.constantFrom<Json>([], [null], [[]], [{}], original.join(' '), [...original, ...original]);
  return replacement;
}

export type Mutation =
  | { op: 'drop'; path: Path }
  | { op: 'set'; path: Path; value: Json }
  | { op: 'add'; path: Path; key: string; value: Json };

function mutationArb(seed: Json): fc.Arbitrary<Mutation> {
  const paths = pathsOf(seed);
  const path = fc.constantFrom(...paths);
  const parents = fc.constantFrom<Path>([], ...paths);
  const leafOf = (p: Path): Json => p.reduce<Json>((v, k) => (v as Record<string | number, Json>)[k], seed);
  // Mistakes of the right shape (a bad duration where a duration goes) find the most.
  return fc.oneof(
    { weight: 4, arbitrary: path.chain((p) => sameShapeMistake(leafOf(p)).map((value): Mutation => ({ op: 'set', path: p, value }))) },
    { weight: 1, arbitrary: path.map((p): Mutation => ({ op: 'drop', path: p })) },
    { weight: 2, arbitrary: fc.record({ path, value: replacement }).map((m): Mutation => ({ op: 'set', ...m })) },
    {
      weight: 1,
      arbitrary: fc.record({ path: parents, key: fc.constantFrom('timeout', 'interval', 'port', 'listen', 'extra', 'kind', 'checks', 'x'), value: replacement })
        .map((m): Mutation => ({ op: 'add', ...m })),
    },
  );
}

/** Applies mutations to a deep copy of `seed`. A mutation whose path has gone is skipped. */
export function applyMutations(seed: Json, mutations: readonly Mutation[]): Json {
  const root = structuredClone(seed) as Json;
  for (const m of mutations) {
    const parent = m.op === 'add' ? resolvePath(root, m.path) : resolvePath(root, m.path.slice(0, -1));
    if (parent === undefined || parent === null || typeof parent !== 'object') continue;
    if (m.op === 'add') {
      if (Array.isArray(parent)) parent.push(m.value);
      else Object.defineProperty(parent, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
      continue;
    }
    const key = m.path.at(-1)!;
    if (Array.isArray(parent) && typeof key === 'number') {
      if (m.op === 'drop') parent.splice(key, 1);
      else parent[key] = m.value;
    } else if (!Array.isArray(parent) && typeof key === 'string') {
      if (m.op === 'drop') delete parent[key];
      else Object.defineProperty(parent, key, { value: m.value, enumerable: true, writable: true, configurable: true });
    }
  }
  return root;
}

function resolvePath(root: Json, path: Path): Json | undefined {
  let value: Json | undefined = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = Array.isArray(value) ? value[key as number] : Object.hasOwn(value, key) ? value[key as string] : undefined;
  }
  return value;
}

/** A mutated config as YAML text, with the seed's name and the mutations (for a readable counterexample). */
export interface MutatedConfig {
  seed: string;
  mutations: Mutation[];
  text: string;
}

/** Mutated configs: one to four mutations of one seed, rendered as the YAML a person would write. */
export const mutatedConfig: fc.Arbitrary<MutatedConfig> = fc.constantFrom(...Object.keys(SEEDS)).chain((seed) =>
  fc.array(mutationArb(SEEDS[seed]), { minLength: 1, maxLength: 4 }).map((mutations) => ({
    seed,
    mutations,
    text: stringify(applyMutations(SEEDS[seed], mutations), { lineWidth: 0 }),
  })));
