import { readFileSync } from 'node:fs';

export interface ListeningSocket {
  address: string;
  port: number;
}

/** Decodes /proc/net/tcp{,6} hex addresses: IPv4 is one little-endian word, IPv6 four. */
function decodeAddress(hex: string): string {
  if (hex.length === 8) {
    return [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
  }
  const words: string[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    const bytes = [3, 2, 1, 0].map((i) => word.slice(i * 2, i * 2 + 2)).join('');
    words.push(bytes.slice(0, 4), bytes.slice(4, 8));
  }
  const full = words.map((g) => g.replace(/^0+(?=.)/, '').toLowerCase()).join(':');
  // ::ffff:a.b.c.d and the usual zero compression, enough for the addresses we compare.
  if (full === '0:0:0:0:0:0:0:0') return '::';
  if (full === '0:0:0:0:0:0:0:1') return '::1';
  return full;
}

/** Sockets in LISTEN state on this host (Linux /proc/net/tcp and tcp6); empty elsewhere. */
export function listeningSockets(): ListeningSocket[] {
  const out: ListeningSocket[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 4 || fields[3] !== '0A') continue; // 0A = TCP_LISTEN
      const [addr, port] = fields[1]!.split(':');
      out.push({ address: decodeAddress(addr!), port: parseInt(port!, 16) });
    }
  }
  return out;
}

export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address.startsWith('0:0:0:0:0:ffff:7f') || address.startsWith('::ffff:127.');
}

/** The replica ports that some socket listens on beyond loopback (0.0.0.0, ::, or a real interface). */
export function portsExposedBeyondLoopback(ports: readonly number[], sockets = listeningSockets()): Array<{ port: number; address: string }> {
  const wanted = new Set(ports);
  return sockets.filter((s) => wanted.has(s.port) && !isLoopback(s.address)).map((s) => ({ port: s.port, address: s.address }));
}
