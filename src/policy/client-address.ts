/**
 * The client's address: the TCP peer, unless the peer is a configured trusted proxy, in which case
 * the nearest X-Forwarded-For hop that is not itself a trusted proxy. A client that forges
 * X-Forwarded-* without going through a trusted proxy gains nothing.
 */
import type { IncomingMessage } from 'node:http';

const plain = (a: string) => a.trim().replace(/^::ffff:/, '');

export function clientAddress(req: IncomingMessage, trustedProxies: readonly string[]): string {
  const peer = plain(req.socket.remoteAddress ?? '');
  if (trustedProxies.length === 0 || !trustedProxies.includes(peer)) return peer;
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map(plain)
    .filter(Boolean);
  // Walk from the nearest hop back; the first address not ours is the client.
  for (let i = hops.length - 1; i >= 0; i--) if (!trustedProxies.includes(hops[i]!)) return hops[i]!;
  return hops[0] ?? peer;
}
