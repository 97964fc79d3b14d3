/**
 * Outbound calls to URLs that clients supply (push-notification webhooks). A host name is resolved
 * once per connection, every address it resolves to is checked (policy/network.ts), and the socket
 * connects to exactly the addresses that were checked: there is no second lookup between the check
 * and the connect for a DNS-rebinding answer to slip into. IP-literal hosts are checked as they are.
 */
import { lookup as systemLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { specialPurpose } from './network.js';

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves a host name to its addresses: the system resolver, unless an embedder brings its own. */
export type ResolveHost = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: ResolveHost = (hostname) =>
  systemLookup(hostname, { all: true, verbatim: true });

export interface EgressPolicy {
  /** Let calls reach loopback, private, link-local and other special-purpose addresses. */
  allowPrivateNetworks: boolean;
  resolve: ResolveHost;
}

/** A host that is, or resolves to, an address that is not globally routable unicast. */
export class InternalAddressError extends Error {
  constructor(
    readonly host: string,
    readonly address: string,
    readonly range: string,
  ) {
    super(
      host === address
        ? `${address} is a loopback/private/special-purpose address (${range})`
        : `${host} resolves to a loopback/private/special-purpose address: ${address} (${range})`,
    );
  }
}

/** Why `address` (what `host` is or resolves to) may not be called, or undefined if it may. */
export function refusal(
  host: string,
  address: string,
  policy: Pick<EgressPolicy, 'allowPrivateNetworks'>,
): InternalAddressError | undefined {
  const range = specialPurpose(address);
  if (!range) return undefined;
  // allowPrivateNetworks opens special-purpose addresses, not answers that are no address at all.
  if (policy.allowPrivateNetworks && isIP(address)) return undefined;
  return new InternalAddressError(host, address, range);
}

/**
 * The addresses `host` (a name or an IP literal) may be connected to: all of them, or an
 * InternalAddressError if any one is refused (a name with one private address is not trusted).
 */
export async function resolveAllowed(host: string, policy: EgressPolicy): Promise<ResolvedAddress[]> {
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await policy.resolve(host);
  if (!addresses.length) throw Object.assign(new Error(`${host} has no address`), { code: 'ENOTFOUND' });
  for (const { address } of addresses) {
    const refused = refusal(host, address, policy);
    if (refused) throw refused;
  }
  return addresses.map(({ address }) => ({ address, family: isIP(address) }));
}

/**
 * An undici dispatcher for calls to untrusted URLs. Its connector checks IP-literal hosts (which
 * `net.connect` never looks up), and gives `net.connect` a `lookup` that resolves through the
 * policy and answers with the checked addresses only. Keep-alive connections stay pinned to the
 * address they were opened to; a dispatcher serves one policy (make a new one when it changes).
 */
export function egressDispatcher(policy: EgressPolicy): Agent {
  const connector = buildConnector({ lookup: guardedLookup(policy) });
  return new Agent({
    connect: (options, callback) => {
      const refused = isIP(options.hostname) && refusal(options.hostname, options.hostname, policy);
      if (refused) callback(refused, null);
      else connector(options, callback);
    },
  });
}

/** A `lookup` for `net.connect` that answers with the checked addresses of `resolveAllowed`. */
export function guardedLookup(policy: EgressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    resolveAllowed(hostname, policy).then(
      (addresses) => {
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
        const usable = family ? addresses.filter((a) => a.family === family) : addresses;
        const first = usable[0];
        if (!first)
          callback(
            Object.assign(new Error(`${hostname} has no IPv${family} address`), { code: 'ENOTFOUND' }),
            '',
          );
        else if (options.all) callback(null, usable);
        else callback(null, first.address, first.family);
      },
      (err: Error) => callback(err, ''),
    );
  };
}
