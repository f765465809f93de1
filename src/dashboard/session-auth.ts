import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Cookie that carries the session after the access token was exchanged for it. */
export const SESSION_COOKIE = 'cutover_dashboard';
/** Header a state-changing call must carry, equal to the session's CSRF token. */
export const CSRF_HEADER = 'x-cutover-csrf';

/** An unused access token stops working after this long: the URL may sit in a terminal's scrollback. */
const TOKEN_TTL_MS = 15 * 60_000;
/** A session is forgotten after this long without a request. */
const SESSION_IDLE_MS = 12 * 60 * 60_000;

export interface Session {
  id: string;
  csrf: string;
  /** Minted by `cutover dashboard --read-only`: the view without any action. */
  readOnly: boolean;
  lastSeen: number;
}

/**
 * Access tokens and sessions of one dashboard server. A token is printed once by
 * `cutover dashboard`, is single-use, and is exchanged for an HttpOnly, SameSite=Strict
 * session cookie; every state-changing call also needs the session's CSRF token.
 */
export class SessionAuth {
  private readonly tokens = new Map<string, { readOnly: boolean; expires: number }>();
  private readonly sessions = new Map<string, Session>();
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** A fresh single-use access token. */
  mintToken(options: { readOnly: boolean }): string {
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, { readOnly: options.readOnly, expires: this.now() + TOKEN_TTL_MS });
    return token;
  }

  /** Turns a valid token into a session; null for an unknown, used or expired token. */
  exchange(token: string): Session | null {
    const entry = this.tokens.get(token);
    if (!entry) return null;
    this.tokens.delete(token);
    if (entry.expires < this.now()) return null;
    const session: Session = { id: randomBytes(24).toString('base64url'), csrf: randomBytes(24).toString('base64url'), readOnly: entry.readOnly, lastSeen: this.now() };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The session named by the request's cookie, or null. */
  session(req: IncomingMessage): Session | null {
    const id = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (!id) return null;
    const session = this.sessions.get(id);
    if (!session) return null;
    if (session.lastSeen + SESSION_IDLE_MS < this.now()) {
      this.sessions.delete(id);
      return null;
    }
    session.lastSeen = this.now();
    return session;
  }

  /** The Set-Cookie value for a session; `secure` is left off because the server speaks plain HTTP on loopback. */
  static cookie(session: Session): string {
    return `${SESSION_COOKIE}=${session.id}; HttpOnly; SameSite=Strict; Path=/`;
  }
}

/** Constant-time comparison of the CSRF header with the session's token. */
export function csrfMatches(session: Session, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string') return false;
  const a = Buffer.from(header);
  const b = Buffer.from(session.csrf);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * True when a state-changing request comes from the dashboard's own page: its Origin (or,
 * without one, its Referer) is this server, and the browser did not mark it cross-site.
 */
export function isSameOrigin(req: IncomingMessage, origin: string): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return false;
  const claimed = req.headers.origin ?? refererOrigin(req.headers.referer);
  return claimed === origin;
}

function refererOrigin(referer: string | undefined): string | undefined {
  if (!referer) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return undefined;
  }
}

function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return null;
}
