/** Where a request goes upstream: the path to send, and the authority that replaces Host. */
export interface RequestTarget {
  /** Origin form: path and query. */
  path: string;
  /** From an absolute-form target; Host is replaced with it. */
  host?: string;
}

const HTTP_URL = /^https?:\/\//i;
/** An upgrade may also name its WebSocket URL (`ws://`, `wss://`), which some clients send. */
const UPGRADE_URL = /^(?:https?|wss?):\/\//i;

/**
 * Reads a request target (RFC 9112 §3.2). The origin form (`/p?q`) is sent as it is. The
 * absolute form (`http://shop.example/p?q`), which a server must accept, is sent as its path
 * and query, and its authority replaces Host (§3.2.2). Null for anything else, which gets 400.
 * Shared by plain requests and upgrades, so both read a target the same way.
 */
export function requestTarget(url: string | undefined, upgrade = false): RequestTarget | null {
  if (url !== undefined && url.charCodeAt(0) === 47 /* '/' */) return { path: url };
  const target = url !== undefined && (upgrade ? UPGRADE_URL : HTTP_URL).test(url) ? URL.parse(url) : null;
  if (target === null || target.host === '') return null;
  return { path: `${target.pathname}${target.search}`, host: target.host };
}

export const BAD_TARGET_MESSAGE = 'bad request: the request target must be a path starting with / or an absolute http URL';
