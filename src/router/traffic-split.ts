import type { IncomingMessage } from 'node:http';
import { CutoverError } from '../core/errors.ts';
import { otherColor, type Color } from '../core/types.ts';

/** A list of values that put a request in the cohort, read from one header or cookie. */
export interface CohortMatch {
  name: string;
  values: string[];
}

/**
 * How the main listener divides traffic between the live color and the other (canary) one.
 * - `cohort`: requests whose header or cookie value is listed go to the canary, whatever
 *   the weights say (testers first).
 * - `weights`: everyone else is divided by these proportions.
 * - Stickiness: with `stickyHeader`, that header's value is hashed, so a client sending the
 *   same value always lands on the same color. Otherwise (or when the header is absent and
 *   a cookie is configured) the router keeps a random bucket in a cookie named
 *   `stickyCookie` (default `cutover_split`). Only `stickyHeader` without `stickyCookie`
 *   turns cookies off.
 * Buckets are fixed per client and the canary gets the lowest ones, so raising the canary's
 * weight only moves clients from live to canary, never back.
 */
export interface SplitConfig {
  weights: Partial<Record<Color, number>>;
  stickyCookie?: string;
  stickyHeader?: string;
  cohort?: { header?: CohortMatch; cookie?: CohortMatch };
}

/** What a split routes by, resolved (defaults applied, header names lowercased): for an engine that decides outside this process. */
export interface SplitRule {
  live: Color;
  canary: Color;
  /** Buckets below this (of BUCKETS) go to the canary. */
  threshold: number;
  stickyHeader: string | null;
  stickyCookie: string | null;
  cohortHeader: { name: string; values: string[] } | null;
  cohortCookie: { name: string; values: string[] } | null;
}

/** Where one request goes, and the cookie to set when the client has no bucket yet. */
export interface SplitDecision {
  color: Color;
  setCookie: string | null;
}

export const DEFAULT_SPLIT_COOKIE = 'cutover_split';
/** Clients are divided into this many buckets; a bucket cookie carries one of 0..BUCKETS-1 (the same on every engine). */
export const BUCKETS = 10_000;
export const COOKIE_MAX_AGE_SEC = 30 * 24 * 3600;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Value of cookie `name` in a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  let from = 0;
  while (from < header.length) {
    let end = header.indexOf(';', from);
    if (end === -1) end = header.length;
    const eq = header.indexOf('=', from);
    if (eq !== -1 && eq < end && header.slice(from, eq).trim() === name) {
      return header.slice(eq + 1, end).trim();
    }
    from = end + 1;
  }
  return undefined;
}

/** FNV-1a over UTF-16 code units: stable across processes and restarts. */
function bucketOf(value: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    hash ^= value.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % BUCKETS;
}

function headerValue(req: IncomingMessage, lowerName: string): string | undefined {
  const value = req.headers[lowerName];
  return Array.isArray(value) ? value[0] : value;
}

function invalid(message: string, details: Record<string, unknown> = {}): CutoverError {
  return new CutoverError('usage', `invalid traffic split: ${message}`, { details });
}

function checkCohort(kind: string, match: CohortMatch | undefined): void {
  if (match === undefined) return;
  if (typeof match.name !== 'string' || !TOKEN.test(match.name)) throw invalid(`cohort ${kind} name ${JSON.stringify(match.name)} is not a valid ${kind} name`);
  if (!Array.isArray(match.values) || match.values.some((v) => typeof v !== 'string')) {
    throw invalid(`cohort ${kind} ${match.name} needs a list of string values`);
  }
}

/**
 * A validated split, bound to the live color at the time it was set.
 * @throws CutoverError('usage') from the constructor for bad weights or names.
 */
export class TrafficSplit {
  readonly config: Readonly<SplitConfig>;
  readonly live: Color;
  readonly canary: Color;
  /** Buckets below this go to the canary. */
  readonly #threshold: number;
  readonly #cookie: string | null;
  readonly #header: string | null;
  readonly #cohortHeader: { name: string; values: Set<string> } | null;
  readonly #cohortCookie: { name: string; values: Set<string> } | null;

  constructor(config: SplitConfig, live: Color) {
    const weights = config.weights ?? {};
    for (const [color, weight] of Object.entries(weights)) {
      if (color !== 'blue' && color !== 'green') throw invalid(`unknown color ${JSON.stringify(color)} in weights`);
      if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
        throw invalid(`weight for ${color} must be a number >= 0, got ${String(weight)}`, { color, weight });
      }
    }
    this.live = live;
    this.canary = otherColor(live);
    const liveWeight = weights[this.live] ?? 0;
    const canaryWeight = weights[this.canary] ?? 0;
    if (liveWeight + canaryWeight <= 0) throw invalid('the weights add up to 0', { weights });
    this.#threshold = Math.round((canaryWeight / (liveWeight + canaryWeight)) * BUCKETS);

    if (config.stickyCookie !== undefined && !TOKEN.test(config.stickyCookie)) {
      throw invalid(`stickyCookie ${JSON.stringify(config.stickyCookie)} is not a valid cookie name`);
    }
    if (config.stickyHeader !== undefined && !TOKEN.test(config.stickyHeader)) {
      throw invalid(`stickyHeader ${JSON.stringify(config.stickyHeader)} is not a valid header name`);
    }
    checkCohort('header', config.cohort?.header);
    checkCohort('cookie', config.cohort?.cookie);

    this.#header = config.stickyHeader?.toLowerCase() ?? null;
    this.#cookie = config.stickyCookie ?? (config.stickyHeader === undefined ? DEFAULT_SPLIT_COOKIE : null);
    const ch = config.cohort?.header;
    const cc = config.cohort?.cookie;
    this.#cohortHeader = ch ? { name: ch.name.toLowerCase(), values: new Set(ch.values) } : null;
    this.#cohortCookie = cc ? { name: cc.name, values: new Set(cc.values) } : null;
    this.config = structuredClone(config);
  }

  /** Share of non-cohort traffic the canary gets, 0..1. */
  get canaryShare(): number {
    return this.#threshold / BUCKETS;
  }

  /** True when some request can be sent to the canary. */
  get usesCanary(): boolean {
    return this.#threshold > 0 || this.#cohortHeader !== null || this.#cohortCookie !== null;
  }

  /** The rule `choose` applies, as data, so another engine can apply the same one. */
  get rule(): SplitRule {
    const list = (m: { name: string; values: Set<string> } | null) => (m === null ? null : { name: m.name, values: [...m.values] });
    return {
      live: this.live,
      canary: this.canary,
      threshold: this.#threshold,
      stickyHeader: this.#header,
      stickyCookie: this.#cookie,
      cohortHeader: list(this.#cohortHeader),
      cohortCookie: list(this.#cohortCookie),
    };
  }

  /** Decides one request's color. Pure apart from drawing a random bucket for new clients. */
  choose(req: IncomingMessage): SplitDecision {
    const cookieHeader = this.#cohortCookie !== null || this.#cookie !== null ? headerValue(req, 'cookie') : undefined;
    if (this.#cohortHeader !== null) {
      const value = headerValue(req, this.#cohortHeader.name);
      if (value !== undefined && this.#cohortHeader.values.has(value)) return { color: this.canary, setCookie: null };
    }
    if (this.#cohortCookie !== null) {
      const value = readCookie(cookieHeader, this.#cohortCookie.name);
      if (value !== undefined && this.#cohortCookie.values.has(value)) return { color: this.canary, setCookie: null };
    }

    let bucket = -1;
    let setCookie: string | null = null;
    if (this.#header !== null) {
      const value = headerValue(req, this.#header);
      if (value !== undefined) bucket = bucketOf(value);
    }
    if (bucket === -1 && this.#cookie !== null) {
      const saved = readCookie(cookieHeader, this.#cookie);
      const parsed = saved !== undefined && /^\d{1,4}$/.test(saved) ? Number(saved) : -1;
      if (parsed >= 0 && parsed < BUCKETS) {
        bucket = parsed;
      } else {
        bucket = Math.floor(Math.random() * BUCKETS);
        setCookie = `${this.#cookie}=${bucket}; Path=/; Max-Age=${COOKIE_MAX_AGE_SEC}; HttpOnly; SameSite=Lax`;
      }
    }
    if (bucket === -1) bucket = Math.floor(Math.random() * BUCKETS);
    return { color: bucket < this.#threshold ? this.canary : this.live, setCookie };
  }
}
