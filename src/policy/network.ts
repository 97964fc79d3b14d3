/**
 * Which IP addresses are the public internet. The gateway calls URLs that clients hand it (push
 * notifications) only when they lead to globally routable unicast addresses; everything else —
 * loopback, private, link-local, shared (CGNAT), multicast, broadcast, documentation, benchmarking,
 * reserved, and every IPv6 form that carries such an IPv4 address — is internal.
 *
 * The decision is made on the parsed address, never on how it is spelled: `::ffff:7f00:1`,
 * `::ffff:127.0.0.1` and `0:0:0:0:0:ffff:127.0.0.1` are one address. The ranges are the IANA
 * IPv4 and IPv6 special-purpose registries (as classified by ipaddr.js), plus one rule of our own:
 * an IPv6 address outside 2000::/3, the only block allocated for global unicast (RFC 4291 §2.4),
 * is never external.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

type IPv4 = ipaddr.IPv4;
type IPv6 = ipaddr.IPv6;

const GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3') as [IPv6, number];

/**
 * IPv6 prefixes whose packets end up at the IPv4 address they embed (its 4 bytes start at `at`):
 * the embedded address decides. Teredo (2001::/32) is not among them: it is refused whole.
 */
const CARRIERS: { name: string; prefix: [IPv6, number]; at: number }[] = [
  { name: 'IPv4-mapped', prefix: ipaddr.parseCIDR('::ffff:0:0/96') as [IPv6, number], at: 12 },
  // RFC 6052 well-known NAT64 prefix; the local-use 64:ff9b:1::/48 is never global (below).
  { name: 'NAT64', prefix: ipaddr.parseCIDR('64:ff9b::/96') as [IPv6, number], at: 12 },
  // RFC 3056: 2002:AABB:CCDD::/48 is the site behind IPv4 address AA.BB.CC.DD.
  { name: '6to4', prefix: ipaddr.parseCIDR('2002::/16') as [IPv6, number], at: 2 },
];

/**
 * The special-purpose range `address` lies in ("loopback", "private in IPv4-mapped form", …),
 * or undefined when it is globally routable unicast. Anything that is not an IP address in
 * standard notation (see `net.isIP`) is reported as such, so it is never taken for external.
 */
export function specialPurpose(address: string): string | undefined {
  const ip = parse(address);
  if (!ip) return 'not an IP address';
  return ip.kind() === 'ipv4' ? ipv4Range(ip as IPv4) : ipv6Range(ip as IPv6);
}

/** True unless the address is globally routable unicast. */
export function isInternalAddress(address: string): boolean {
  return specialPurpose(address) !== undefined;
}

/**
 * The address `net.connect` would use, parsed: only what `net.isIP` accepts (ipaddr.js alone
 * would also read 0x7f.1 and 2130706433), and IPv6 through its WHATWG serialisation, which is all
 * hex groups — ipaddr.js reads `::a.b.c.d` as `::ffff:a.b.c.d`, the socket as `::a.b.c.d`.
 */
function parse(address: string): IPv4 | IPv6 | undefined {
  try {
    if (isIP(address) === 4) return ipaddr.IPv4.parse(address);
    // A zone (fe80::1%eth0) names an interface; the address is the part before it.
    const bare = address.split('%')[0]!;
    if (isIP(address) === 6) return ipaddr.IPv6.parse(new URL(`http://[${bare}]/`).hostname.slice(1, -1));
  } catch {
    // not an address both parsers read the same way: never external
  }
  return undefined;
}

function ipv4Range(ip: IPv4): string | undefined {
  const range = ip.range();
  return range === 'unicast' ? undefined : range;
}

function ipv6Range(ip: IPv6): string | undefined {
  const bytes = ip.toByteArray();
  for (const carrier of CARRIERS) {
    if (!ip.match(carrier.prefix)) continue;
    const range = ipv4Range(new ipaddr.IPv4(bytes.slice(carrier.at, carrier.at + 4)));
    return range && `${range} in ${carrier.name} form`;
  }
  const range: string = ip.range();
  if (range !== 'unicast') return range;
  if (ip.match(GLOBAL_UNICAST)) return undefined;
  // ::a.b.c.d (IPv4-compatible, deprecated by RFC 4291 §2.5.5.1) and unallocated space.
  return bytes.slice(0, 12).every((b) => b === 0) ? 'IPv4-compatible' : 'not in 2000::/3';
}
