import { CutoverError } from '../../core/errors.ts';
import { BUCKETS, COOKIE_MAX_AGE_SEC, type SplitRule } from '../traffic-split.ts';

/**
 * The names a split routes by. HAProxy reads a header or cookie only by a name written in its
 * config, so these live in the generated config (a change of names is one seamless reload);
 * everything a step changes (on/off, canary, threshold, cohort values) lives in the routing
 * map, so a step is one map commit and never a reload.
 */
export interface SplitNames {
  stickyHeader: string | null;
  stickyCookie: string | null;
  cohortHeader: string | null;
  cohortCookie: string | null;
}

/** The names the config has before any split: the default sticky cookie, as the Node router uses. */
export const NO_SPLIT_NAMES: SplitNames = { stickyHeader: null, stickyCookie: 'cutover_split', cohortHeader: null, cohortCookie: null };

/** Map keys a split owns, removed together when it ends. */
const SPLIT_KEYS = new Set(['split', 'canary', 'threshold']);
const COHORT_HEADER_KEY = 'ch_';
const COHORT_COOKIE_KEY = 'cc_';

/**
 * Stricter than an HTTP token: the name is written into HAProxy's config, where `#`, quotes,
 * `$`, `%` and `\` mean something. Checked before anything changes.
 */
const CONFIG_SAFE_NAME = /^[A-Za-z0-9_.-]+$/;

export function splitNamesOf(rule: SplitRule): SplitNames {
  return {
    stickyHeader: rule.stickyHeader,
    stickyCookie: rule.stickyCookie,
    cohortHeader: rule.cohortHeader?.name ?? null,
    cohortCookie: rule.cohortCookie?.name ?? null,
  };
}

export function sameSplitNames(a: SplitNames, b: SplitNames): boolean {
  return a.stickyHeader === b.stickyHeader && a.stickyCookie === b.stickyCookie && a.cohortHeader === b.cohortHeader && a.cohortCookie === b.cohortCookie;
}

/** @throws CutoverError('usage') naming the engine for a name HAProxy's config cannot carry as written. */
export function assertConfigSafeNames(names: SplitNames): void {
  const fields: Array<[string, string | null]> = [
    ['stickyHeader', names.stickyHeader], ['stickyCookie', names.stickyCookie],
    ['cohort.header.name', names.cohortHeader], ['cohort.cookie.name', names.cohortCookie],
  ];
  for (const [field, name] of fields) {
    if (name !== null && !CONFIG_SAFE_NAME.test(name)) {
      throw new CutoverError('usage', `invalid traffic split: ${field} ${JSON.stringify(name)}: router.engine haproxy takes header and cookie names of letters, digits, "_", "." and "-" only`, { details: { field, engine: 'haproxy' } });
    }
  }
}

/**
 * Cohort values as map keys: hex of their UTF-8 bytes (HAProxy's `hex` converter gives the
 * same for the bytes a client sends), so a value with spaces or any byte fits a map line.
 */
function cohortKey(prefix: string, value: string): string {
  return prefix + Buffer.from(value, 'utf8').toString('hex').toUpperCase();
}

/** The routing-map entries that put `rule` in force. */
export function splitMapEntries(rule: SplitRule): Record<string, string> {
  const entries: Record<string, string> = { split: '1', canary: rule.canary, threshold: String(rule.threshold) };
  for (const value of rule.cohortHeader?.values ?? []) entries[cohortKey(COHORT_HEADER_KEY, value)] = '1';
  for (const value of rule.cohortCookie?.values ?? []) entries[cohortKey(COHORT_COOKIE_KEY, value)] = '1';
  return entries;
}

/** `map` without any split's entries. */
export function withoutSplit(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).filter(([k]) => !SPLIT_KEYS.has(k) && !k.startsWith(COHORT_HEADER_KEY) && !k.startsWith(COHORT_COOKIE_KEY)));
}

/**
 * Main-frontend rules that apply the split in the map, the same decision as TrafficSplit.choose:
 * a cohort value goes to the canary; otherwise the client's bucket (0..buckets-1) is the sticky
 * header's hash, else a valid bucket cookie, else a random draw (with a Set-Cookie when a
 * cookie is configured); buckets below the threshold go to the canary. The header hash is
 * HAProxy's djb2, not the Node router's FNV-1a: a header value is sticky within an engine,
 * and cookie buckets mean the same on both.
 */
export function splitFrontendRules(names: SplitNames, mapFile: string, specialAcl: string): { request: string[]; response: string[]; useCanaryIf: string } {
  const m = mapFile;
  const buckets = BUCKETS;
  // `specialAcl` first: without a split (or maintenance, or pause) no rule here reads the map.
  const on = `${specialAcl} split_on`;
  const request = [`  acl split_on str(split),map(${m},0) -m str 1`];
  if (names.cohortHeader) request.push(`  acl in_cohort req.fhdr(${names.cohortHeader},1),hex,regsub(^,${COHORT_HEADER_KEY}),map(${m},0) -m str 1`);
  if (names.cohortCookie) request.push(`  acl in_cohort req.cook(${names.cohortCookie}),hex,regsub(^,${COHORT_COOKIE_KEY}),map(${m},0) -m str 1`);
  if (!names.cohortHeader && !names.cohortCookie) request.push('  acl in_cohort always_false');
  const weighed = `${on} !in_cohort`;
  if (names.stickyHeader) {
    request.push(`  http-request set-var(txn.bucket) req.fhdr(${names.stickyHeader},1),djb2,mod(${buckets}) if ${weighed} { req.fhdr(${names.stickyHeader},1) -m found }`);
  }
  if (names.stickyCookie) {
    request.push(
      `  http-request set-var(txn.bucket) req.cook_val(${names.stickyCookie}) if ${weighed} !{ var(txn.bucket) -m found } { req.cook(${names.stickyCookie}) -m reg ^[0-9]{1,${String(buckets - 1).length}}$ } { req.cook_val(${names.stickyCookie}) lt ${buckets} }`,
      `  http-request set-var(txn.new_bucket) bool(1) if ${weighed} !{ var(txn.bucket) -m found }`,
    );
  }
  request.push(
    `  http-request set-var(txn.bucket) rand(${buckets}) if ${weighed} !{ var(txn.bucket) -m found }`,
    // `add(0)` casts the map's string value to an integer (map_str_int would want every value of the map to be one).
    `  http-request set-var(txn.threshold) str(threshold),map(${m},0),add(0) if ${weighed}`,
    `  http-request set-var(txn.below) var(txn.bucket),sub(txn.threshold) if ${weighed}`,
  );
  const response = names.stickyCookie
    ? [`  http-response add-header set-cookie "${names.stickyCookie}=%[var(txn.bucket)]; Path=/; Max-Age=${COOKIE_MAX_AGE_SEC}; HttpOnly; SameSite=Lax" if { var(txn.new_bucket) -m bool }`]
    : [];
  return { request, response, useCanaryIf: `${on} in_cohort || ${on} { var(txn.below) -m int lt 0 }` };
}
