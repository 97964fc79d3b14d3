/**
 * Push notifications for the agents the gateway serves: the URL a client registers is checked
 * before it is stored, so the gateway cannot be made to POST into its own network (SSRF).
 * Loopback, private, link-local and unspecified addresses are refused unless configured.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { TaskPushNotificationConfig } from '@a2a-js/sdk';
import { RequestMalformedError } from '@a2a-js/sdk/errors';
import type { PushNotificationStore, ServerCallContext } from '@a2a-js/sdk/server';

export interface PushPolicy {
  allowPrivateNetworks: boolean;
  allowedHosts: readonly string[];
}

export async function checkPushUrl(raw: string, policy: PushPolicy): Promise<void> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RequestMalformedError(`push notification URL is not a URL: ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new RequestMalformedError(`push notification URL must be http(s), not ${url.protocol}`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (policy.allowedHosts.length && !policy.allowedHosts.includes(host))
    throw new RequestMalformedError(`push notification host ${host} is not in a2a.push.allowedHosts`);
  if (policy.allowPrivateNetworks) return;
  const addresses = isIP(host)
    ? [host]
    : await lookup(host, { all: true }).then(
        (r) => r.map((a) => a.address),
        () => {
          throw new RequestMalformedError(`push notification host ${host} does not resolve`);
        },
      );
  const internal = addresses.find(isInternalAddress);
  if (internal)
    throw new RequestMalformedError(
      `push notification URL resolves to a loopback/private address (${internal}); refused ` +
        '(set a2a.push.allowPrivateNetworks to allow it)',
    );
}

/** Loopback, RFC 1918/4193 private, link-local, CGNAT, unspecified, and IPv4-mapped forms of them. */
export function isInternalAddress(address: string): boolean {
  const a = address.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) return isInternalAddress(mapped[1]!);
  if (isIP(a) === 4) {
    const [x, y] = a.split('.').map(Number) as [number, number];
    return (
      x === 0 ||
      x === 10 ||
      x === 127 ||
      (x === 100 && y >= 64 && y <= 127) ||
      (x === 169 && y === 254) ||
      (x === 172 && y >= 16 && y <= 31) ||
      (x === 192 && y === 168)
    );
  }
  return a === '::' || a === '::1' || /^f[cd]/.test(a) || /^fe[89ab]/.test(a);
}

/** A push-config store that refuses URLs the policy does not allow. */
export function guardedPushStore(
  inner: PushNotificationStore,
  policy: () => PushPolicy,
): PushNotificationStore {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'save') {
        return async (taskId: string, ctx: ServerCallContext, config: TaskPushNotificationConfig) => {
          await checkPushUrl(config.url, policy());
          return target.save(taskId, ctx, config);
        };
      }
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
