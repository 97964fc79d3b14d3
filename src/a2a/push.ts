/**
 * Push notifications for the agents the gateway serves: the URL a client registers is checked
 * before it is stored, so the gateway cannot be made to POST into its own network (SSRF). Only
 * globally routable unicast addresses are called (policy/network.ts) unless
 * `a2a.push.allowPrivateNetworks` is set. Deliveries connect through a dispatcher that resolves the
 * host once and connects to the address it checked (policy/egress.ts), so an answer that changes
 * between the check and the connect (DNS rebinding) is never called.
 * Delivery (PushDelivery) retries with backoff and authenticates per config.
 */
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
import { fetch, type Agent } from 'undici';
import {
  egressDispatcher,
  InternalAddressError,
  refusal,
  resolveAllowed,
  systemResolver,
  type ResolveHost,
} from '../policy/egress.js';
import type { Logger } from '../telemetry/logger.js';
import { overriding } from './override.js';

export interface PushPolicy {
  allowPrivateNetworks: boolean;
  allowedHosts: readonly string[];
}

/**
 * What can be decided without DNS: a http(s) URL, a host on the allow-list, an IP-literal host
 * that the policy lets be called. The host comes back without the brackets of an IPv6 literal.
 */
function checkPushTarget(raw: string, policy: PushPolicy): { url: URL; host: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RequestMalformedError(`push notification URL is not a URL: ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new RequestMalformedError(`push notification URL must be http(s), not ${url.protocol}`);
  // WHATWG URL parsing already turned 0x7f.1, 2130706433 and the like into dotted quads.
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (policy.allowedHosts.length && !policy.allowedHosts.includes(host))
    throw new RequestMalformedError(`push notification host ${host} is not in a2a.push.allowedHosts`);
  const refused = isIP(host) ? refusal(host, host, policy) : undefined;
  if (refused) throw refusedTarget(refused);
  return { url, host };
}

/** Checks a URL a client registers: the target rules, and every address its host resolves to now. */
export async function checkPushUrl(
  raw: string,
  policy: PushPolicy,
  resolve: ResolveHost = systemResolver,
): Promise<void> {
  const { host } = checkPushTarget(raw, policy);
  if (policy.allowPrivateNetworks || isIP(host)) return;
  await resolveAllowed(host, { ...policy, resolve }).catch((err: unknown) => {
    if (err instanceof InternalAddressError) throw refusedTarget(err);
    throw new RequestMalformedError(`push notification host ${host} does not resolve`);
  });
}

function refusedTarget(err: InternalAddressError): RequestMalformedError {
  return new RequestMalformedError(
    `push notification URL refused: ${err.message}; set a2a.push.allowPrivateNetworks to allow it`,
  );
}

/** A push-config store that refuses URLs the policy does not allow. */
export function guardedPushStore(
  inner: PushNotificationStore,
  policy: () => PushPolicy,
  resolve: ResolveHost = systemResolver,
): PushNotificationStore {
  return overriding(inner, {
    save: async (taskId: string, ctx: ServerCallContext, config: TaskPushNotificationConfig) => {
      await checkPushUrl(config.url, policy(), resolve);
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
 * network errors, 429 and 5xx. The URL is checked against the policy in force before each attempt,
 * and the connection is made through the egress dispatcher, which checks the addresses the host
 * resolves to at that moment and connects to those. Deliveries for one task keep their order.
 */
export class PushDelivery implements PushNotificationSender {
  private readonly serializers: Record<string, PushNotificationSerializer> = {
    '1.0': new V1PushNotificationSerializer(),
    '0.3': new V03PushNotificationSerializer(),
  };
  private readonly chains = new Map<string, Promise<void>>();
  /** One dispatcher per value of allowPrivateNetworks: a reload that closes it reuses no open socket. */
  private readonly dispatchers = new Map<boolean, Agent>();

  constructor(
    private readonly store: PushNotificationStore,
    private readonly options: () => DeliveryOptions,
    private readonly log: Logger,
    private readonly resolve: ResolveHost = systemResolver,
  ) {}

  send(event: StreamResponse, ctx: ServerCallContext, task?: Task): Promise<void> {
    const taskId = taskIdOf(event) ?? task?.id;
    if (!taskId) return Promise.resolve();
    const prior = this.chains.get(taskId) ?? Promise.resolve();
    // deliverAll logs what it could not deliver; a failure never breaks the task's chain.
    const next: Promise<void> = prior
      .then(() => this.deliverAll(taskId, event, ctx, task))
      .catch((err: unknown) => this.log.warn({ task: taskId, err }, 'push notification delivery failed'))
      .finally(() => {
        if (this.chains.get(taskId) === next) this.chains.delete(taskId);
      });
    this.chains.set(taskId, next);
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
        const { url } = checkPushTarget(config.url, opts);
        // fetch refuses such URLs with a message that quotes them, credentials and all.
        if (url.username || url.password)
          throw new RequestMalformedError(
            "the URL carries a user name or password, which is never sent: use the config's authentication",
          );
        const res = await fetch(url, {
          method: 'POST',
          headers,
          body,
          redirect: 'error',
          signal: AbortSignal.timeout(opts.timeoutMs),
          dispatcher: this.dispatcher(opts.allowPrivateNetworks),
        });
        await res.body?.cancel();
        if (res.ok) return;
        problem = `HTTP ${res.status}`;
        if (res.status !== 429 && res.status < 500) break; // the receiver refused it: retrying will not help
      } catch (err) {
        // fetch rejects with "fetch failed"; what failed (refused address, ECONNREFUSED) is the cause.
        const cause = err instanceof TypeError && err.cause instanceof Error ? err.cause : (err as Error);
        problem = cause.message;
        if (err instanceof RequestMalformedError || cause instanceof InternalAddressError) break;
      }
    }
    this.log.warn({ task: taskId, url: loggableUrl(config.url), problem }, 'push notification not delivered');
  }

  private dispatcher(allowPrivateNetworks: boolean): Agent {
    let dispatcher = this.dispatchers.get(allowPrivateNetworks);
    if (!dispatcher) {
      dispatcher = egressDispatcher({ allowPrivateNetworks, resolve: this.resolve });
      this.dispatchers.set(allowPrivateNetworks, dispatcher);
    }
    return dispatcher;
  }
}

/** A webhook URL as logs show it: no user:pass@, no query, no fragment (any of them may be a secret). */
export function loggableUrl(raw: string): string {
  try {
    const url = new URL(raw);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return '(not a URL)';
  }
}

function taskIdOf(event: StreamResponse): string | undefined {
  const p = event.payload;
  if (!p) return undefined;
  if (p.$case === 'task') return p.value.id;
  if (p.$case === 'message') return p.value.taskId || undefined;
  return p.value.taskId;
}
