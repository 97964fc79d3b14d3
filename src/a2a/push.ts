/**
 * Push notifications for the agents the gateway serves: the URL a client registers is checked
 * before it is stored, so the gateway cannot be made to POST into its own network (SSRF).
 * Loopback, private, link-local and unspecified addresses are refused unless configured.
 * Delivery (PushDelivery) retries with backoff and authenticates per config.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { StreamResponse, Task, TaskPushNotificationConfig } from '@a2a-js/sdk';
import { V03PushNotificationSerializer } from '@a2a-js/sdk/compat/v0_3/server';
import { RequestMalformedError } from '@a2a-js/sdk/errors';
import {
  V1PushNotificationSerializer,
  type PushNotificationSender,
  type PushNotificationSerializer,
  type PushNotificationStore,
  type ServerCallContext,
} from '@a2a-js/sdk/server';
import type { Logger } from '../telemetry/logger.js';
import { overriding } from './override.js';

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
  return overriding(inner, {
    save: async (taskId: string, ctx: ServerCallContext, config: TaskPushNotificationConfig) => {
      await checkPushUrl(config.url, policy());
      return inner.save(taskId, ctx, config);
    },
  });
}

export interface DeliveryOptions extends PushPolicy {
  timeoutMs: number;
  retries: number;
}

/**
 * Delivers task events to the registered webhooks: serialized for the protocol version the config
 * was registered with, authenticated per config (`authentication` → `Authorization: <scheme>
 * <credentials>`, else the token in `X-A2A-Notification-Token`), retried with exponential backoff on
 * network errors, 429 and 5xx. The URL is checked again before each attempt (DNS may have changed
 * since it was registered). Deliveries for one task keep their order.
 */
export class PushDelivery implements PushNotificationSender {
  private readonly serializers: Record<string, PushNotificationSerializer> = {
    '1.0': new V1PushNotificationSerializer(),
    '0.3': new V03PushNotificationSerializer(),
  };
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    private readonly store: PushNotificationStore,
    private readonly options: () => DeliveryOptions,
    private readonly log: Logger,
  ) {}

  send(event: StreamResponse, ctx: ServerCallContext, task?: Task): Promise<void> {
    const taskId = taskIdOf(event) ?? task?.id;
    if (!taskId) return Promise.resolve();
    const prior = this.chains.get(taskId) ?? Promise.resolve();
    const next = prior.then(() => this.deliverAll(taskId, event, ctx, task)).catch(() => {});
    this.chains.set(taskId, next);
    void next.then(() => {
      if (this.chains.get(taskId) === next) this.chains.delete(taskId);
    });
    return Promise.resolve();
  }

  private async deliverAll(taskId: string, event: StreamResponse, ctx: ServerCallContext, task?: Task) {
    const stored = this.store.loadWithMetadata
      ? await this.store.loadWithMetadata(taskId, ctx)
      : (await this.store.load(taskId, ctx)).map((config) => ({ config, wireVersion: '1.0' }));
    await Promise.all(stored.map((s) => this.deliver(taskId, s.config, s.wireVersion, event, task)));
  }

  private async deliver(
    taskId: string,
    config: TaskPushNotificationConfig,
    wireVersion: string,
    event: StreamResponse,
    task?: Task,
  ): Promise<void> {
    const opts = this.options();
    const { body, contentType } = (this.serializers[wireVersion] ?? this.serializers['1.0']!).serialize(
      event,
      task,
    );
    const headers: Record<string, string> = { 'content-type': contentType };
    if (config.authentication?.scheme && config.authentication.credentials) {
      headers.authorization = `${config.authentication.scheme} ${config.authentication.credentials}`;
    } else if (config.token) headers['x-a2a-notification-token'] = config.token;
    let problem = '';
    for (let attempt = 0; attempt <= opts.retries; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(10_000, 200 * 2 ** (attempt - 1))));
      try {
        await checkPushUrl(config.url, opts);
        const res = await fetch(config.url, {
          method: 'POST',
          headers,
          body,
          redirect: 'error',
          signal: AbortSignal.timeout(opts.timeoutMs),
        });
        await res.body?.cancel();
        if (res.ok) return;
        problem = `HTTP ${res.status}`;
        if (res.status !== 429 && res.status < 500) break; // the receiver refused it: retrying will not help
      } catch (err) {
        problem = (err as Error).message;
        if (err instanceof RequestMalformedError) break;
      }
    }
    // The URL is logged without its query string, which may carry a secret.
    this.log.warn(
      { task: taskId, url: config.url.split('?')[0], problem },
      'push notification not delivered',
    );
  }
}

function taskIdOf(event: StreamResponse): string | undefined {
  const p = event.payload;
  if (!p) return undefined;
  if (p.$case === 'task') return p.value.id;
  if (p.$case === 'message') return p.value.taskId || undefined;
  return p.value.taskId;
}
