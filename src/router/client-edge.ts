import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { BlockList, isIP, type Socket } from 'node:net';
import { CutoverError } from '../core/errors.ts';
import { probeTokenMatcher } from './probe-token.ts';
import type { EdgePolicy } from './proxy-request.ts';

/**
 * `router.trustedProxies`: addresses or CIDR ranges (`10.0.0.0/8`, `::1`) of proxies in front
 * of the router whose forwarded headers are kept. Node's BlockList does the matching, IPv4
 * and IPv6 alike. Empty: nobody is trusted, and every forwarded header is the router's own.
 * `probeToken`: the control plane's probe token (probe-token.ts); absent, no probe is answered as one.
 * @throws CutoverError('config') for an entry that is not an address or a range.
 */
export function edgePolicy(trustedProxies: readonly string[], maxRequestBodyBytes: number | undefined, probeToken?: string): EdgePolicy {
  const isOwnProbe = probeToken === undefined ? undefined : probeTokenMatcher(probeToken);
  if (trustedProxies.length === 0) return { isTrustedPeer: () => false, maxRequestBodyBytes, isOwnProbe };
  const list = new BlockList();
  for (const entry of trustedProxies) {
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits);
    if (family === 0 || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) {
      throw new CutoverError('config', `router.trustedProxies: "${entry}" is not an IP address or CIDR range`);
    }
    list.addSubnet(address!, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  return {
    maxRequestBodyBytes,
    isOwnProbe,
    isTrustedPeer(remote) {
      if (remote === undefined) return false;
      const plain = remote.startsWith('::ffff:') ? remote.slice(7) : remote;
      return list.check(plain, isIP(plain) === 6 ? 'ipv6' : 'ipv4');
    },
  };
}

const CLIENT_ERROR_STATUS: Readonly<Record<string, string>> = {
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
};

/** The response most recently started on a connection. */
const LAST_RESPONSE = Symbol('cutover.lastResponse');
type TrackedSocket = Socket & { [LAST_RESPONSE]?: ServerResponse };

/** What a listener does for every request it reads, so that a parse error after it waits for its answer. */
export type NoteResponse = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Request-parsing errors get their 4xx only after the answers to the requests that came
 * before them on the same connection. Node's default handler writes the 400 at once and
 * destroys the socket, so a pipelined valid request followed by garbage lost its answer.
 * Node writes pipelined answers in order, so the last response started is the one to wait
 * for: remembering it per connection costs one property write per request.
 *
 * Returns that per-request step; the server's 'request' listener must call it for every
 * request. It is not a 'request' listener of its own because node's `emit` copies the
 * listener list on every event once there is more than one.
 */
export function answerParseErrorsInOrder(server: Server): NoteResponse {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const status = CLIENT_ERROR_STATUS[err.code ?? ''] ?? '400 Bad Request';
    const reply = () => {
      if (!socket.writable || socket.destroyed) return socket.destroy();
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.once('finish', () => socket.destroy());
    };
    const last = (socket as TrackedSocket)[LAST_RESPONSE];
    if (last === undefined || last.writableFinished || last.destroyed) return reply();
    last.once('close', reply);
    // A reply that never comes must not hold the socket forever.
    setTimeout(() => socket.destroy(), 30_000).unref();
  });
  return noteResponse;
}

function noteResponse(req: IncomingMessage, res: ServerResponse): void {
  (req.socket as TrackedSocket)[LAST_RESPONSE] = res;
}

/**
 * Forgets `res` once it closed (finished or cut), if it is still its connection's last
 * response: a parse error would then be answered at once either way, and the connection no
 * longer keeps the finished response, its request and what they hold alive until the next
 * request arrives (on a busy router, through a young-generation collection each).
 */
export function forgetClosedResponse(res: ServerResponse): void {
  const socket = res.req?.socket as TrackedSocket | null | undefined;
  if (socket && socket[LAST_RESPONSE] === res) socket[LAST_RESPONSE] = undefined;
}
