import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * What a listener tells clients, as `Keep-Alive: timeout=5`: node's own default. Clients
 * that read the header stop reusing an idle connection before it (undici: 2 s before).
 */
export const ADVERTISED_KEEP_ALIVE_MS = 5_000;

/**
 * How long an idle client connection is really kept open: past the 60 s idle timeout of the
 * load balancers and proxies that commonly sit in front and do not read the header (the
 * HAProxy data plane uses the same 65 s).
 */
export const IDLE_CONNECTION_CLOSE_MS = 65_000;

/** A listener's idle connections, for a router that is handing its listeners over. */
export interface IdleConnections {
  /**
   * From now on, an idle connection closes at the advertised timeout, as node would close
   * it, and those already past it close at once. Idempotent.
   */
  closeAtAdvertised(): void;
  /**
   * A request arrived on `req`'s connection, so it is in use again. The server's 'request'
   * listener must call this for every request: it is not a listener of its own because node's
   * `emit` copies the listener list on every event once there is more than one.
   */
  inUse(req: IncomingMessage): void;
}

/**
 * Orders keep-alive timeouts so that the side that closes an idle connection is never the
 * one a request may be on its way from. Node closes an idle connection about when it says it
 * will (`timeout=5`, closed 5-6 s after the response was written), while a client counts
 * from when it read the response. On a loaded host the two clocks drift apart by seconds,
 * and a request the client sent on a connection it believed open arrives after node's close
 * timer fired, or while it fires: node runs due timers before it reads the socket, so the
 * connection is destroyed with the request unread and the client gets ECONNRESET. The soak
 * bench saw one such reset at a load average of 20. So the listener keeps advertising 5 s,
 * and holds an idle connection for `closeAfterMs` before closing it.
 *
 * node does this through its 'timeout' event: with a listener on the server it no longer
 * destroys a timed-out socket itself. The only socket timeout node sets on these servers is
 * the keep-alive one (`server.timeout` is 0; header and request timeouts are checked
 * separately), so every 'timeout' here is an idle connection. Call it after the server's
 * own 'upgrade' listener is on.
 */
export function holdIdleConnections(server: Server, advertisedMs = ADVERTISED_KEEP_ALIVE_MS, closeAfterMs = IDLE_CONNECTION_CLOSE_MS): IdleConnections {
  server.keepAliveTimeout = advertisedMs;
  /** Connections idle past the advertised timeout, waiting out the rest of `closeAfterMs`. */
  const held = new Set<Socket>();
  const watched = new WeakSet<Socket>();
  let atAdvertised = false;
  const release = (socket: Socket) => { held.delete(socket); };
  server.on('timeout', (socket: Socket) => {
    if (atAdvertised || held.has(socket)) {
      socket.destroy();
      return;
    }
    held.add(socket);
    if (!watched.has(socket)) {
      watched.add(socket);
      socket.once('close', () => release(socket));
    }
    // A request arriving now makes node clear this timer (it resets the keep-alive one).
    socket.setTimeout(Math.max(1, closeAfterMs - advertisedMs));
  });
  const inUse = (req: IncomingMessage) => { if (held.size > 0) release(req.socket); };
  // Only where upgrades are served: a listener on 'upgrade' is what makes node accept them.
  // (Upgrades are rare enough for a listener of their own.)
  if (server.listenerCount('upgrade') > 0) server.on('upgrade', inUse);
  return {
    inUse,
    closeAtAdvertised() {
      atAdvertised = true;
      for (const socket of held) socket.destroy();
      held.clear();
    },
  };
}
