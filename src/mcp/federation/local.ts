/**
 * What the gateway answers itself: the merged lists (with its own pagination), ping, the log
 * level, and resource subscriptions (counted per URI, so a shared upstream is subscribed once and
 * unsubscribed when the last interested session leaves).
 */
import { isGatewayResource } from '../../catalog/resources.js';
import { GatewayError } from '../../errors/index.js';
import type { Local } from '../../gateway/router.js';
import type { VisibleLists } from '../../policy/authz.js';
import type { Principal } from '../../policy/principal.js';
import type { Logger } from '../../telemetry/logger.js';
import type { JsonObject } from '../jsonrpc.js';
import { LOG_LEVELS, type LogLevel, type Session } from '../session.js';
import type { SessionRegistry } from '../sessions.js';
import type { Cancellation } from '../upstream/forwarder.js';
import type { TaskDirectory } from './tasks.js';
import type { Backend } from '../upstream/backend.js';
import { decodeCursor, encodeCursor, type RouteTable } from './route-table.js';

export interface LocalDeps {
  routes(): RouteTable;
  /** The merged lists as a principal may see them (policy, quarantine). */
  visible(principal: Principal): VisibleLists;
  /** May the principal use this gateway resource (policy kind `resource`)? */
  mayUse(principal: Principal, uri: string): boolean;
  upstreams(): readonly Backend[];
  pageSize(): number;
  sessions(): SessionRegistry;
  readonly tasks: TaskDirectory;
  readonly log: Logger;
  /** Resources the gateway itself offers (switchyard://…), listed with the upstreams' and read here. */
  readonly gatewayResources: {
    list(): JsonObject[];
    read(uri: string): Promise<JsonObject>;
  };
}

const LISTS = {
  'tools/list': ['tools', 'tools'],
  'prompts/list': ['prompts', 'prompts'],
  'resources/list': ['resources', 'resources'],
  'resources/templates/list': ['resourceTemplates', 'resourceTemplates'],
} as const;

export class LocalHandlers {
  /** URI → ids of the sessions subscribed to it. */
  private readonly subscribers = new Map<string, Set<string>>();
  /** The log level last sent to each upstream. */
  private readonly upstreamLevels = new Map<string, LogLevel>();

  constructor(private readonly deps: LocalDeps) {}

  async handle(
    method: Local,
    session: Session,
    params: JsonObject | undefined,
    cancellation: Cancellation,
    principal: Principal,
  ): Promise<JsonObject> {
    switch (method) {
      case 'ping':
        return {};
      case 'tasks/list':
        return this.listTasks(session, params, cancellation);
      case 'tools/list':
      case 'prompts/list':
      case 'resources/list':
      case 'resources/templates/list':
        return this.list(method, params, principal);
      case 'logging/setLevel':
        return this.setLevel(session, params);
      case 'resources/subscribe':
        return this.subscribe(session, params, cancellation);
      case 'resources/unsubscribe':
        return this.unsubscribe(session, params, cancellation);
      case 'resources/read':
        return this.deps.gatewayResources.read(this.uriOf(params));
    }
  }

  /** Sessions subscribed to a URI (for relaying notifications/resources/updated). */
  subscribersOf(uri: string): ReadonlySet<string> | undefined {
    return this.subscribers.get(uri);
  }

  /** A session ended: drop its subscriptions, unsubscribing upstream where it was the last. */
  sessionClosed(session: Session): void {
    for (const uri of session.subscriptions) void this.release(session, uri).catch(() => {});
    session.subscriptions.clear();
    if (session.logLevel !== null) this.applyLevelsInBackground();
  }

  /** A client's roots changed: tell the upstreams, which may ask again (roots/list). */
  rootsChanged(_session: Session): void {
    for (const u of this.deps.upstreams()) {
      // notify() logs and swallows its own failures.
      u.notify({ jsonrpc: '2.0', method: 'notifications/roots/list_changed' }).catch(() => {});
    }
  }

  /** An upstream (re)connected: give it the current log level. */
  upstreamReady(u: Backend): void {
    this.upstreamLevels.delete(u.name);
    this.applyLevelsInBackground();
  }

  private applyLevelsInBackground(): void {
    this.applyLevels().catch((err: unknown) =>
      this.deps.log.warn({ err }, "setting the upstreams' log level failed"),
    );
  }

  private list(method: keyof typeof LISTS, params: JsonObject | undefined, principal: Principal): JsonObject {
    const [field, key] = LISTS[method];
    const all = this.deps.visible(principal)[field];
    if (method !== 'resources/list') return this.page(key, all, params);
    const own = this.deps.gatewayResources.list().filter((r) => this.deps.mayUse(principal, String(r.uri)));
    return this.page(key, [...all, ...own], params);
  }

  /** One page of a merged list, with the gateway's own cursor (an offset, opaque to clients). */
  private page(key: string, all: readonly unknown[], params: JsonObject | undefined): JsonObject {
    let offset = 0;
    if (params?.cursor !== undefined) {
      const decoded = decodeCursor(params.cursor);
      if (decoded === undefined) throw new GatewayError('SWY_INVALID_PARAMS', { detail: 'invalid cursor' });
      offset = decoded;
    }
    const size = this.deps.pageSize();
    const result: JsonObject = {
      [key]: offset === 0 && all.length <= size ? all : all.slice(offset, offset + size),
    };
    if (offset + size < all.length) result.nextCursor = encodeCursor(offset + size);
    return result;
  }

  /**
   * tasks/list across upstreams: each upstream's list (it serves every session through one
   * connection), filtered to the tasks this session created, merged, paginated by the gateway.
   */
  private async listTasks(session: Session, params: JsonObject | undefined, cancellation: Cancellation) {
    const mine: unknown[] = [];
    for (const u of this.deps.upstreams()) {
      if (u.state !== 'ready' || !u.info?.capabilities.tasks?.list) continue;
      let cursor: string | undefined;
      for (let page = 0; page < 100; page++) {
        const out = await u.call('tasks/list', cursor ? { cursor } : undefined, { cancellation });
        if ('error' in out) break;
        const listed = this.deps.tasks.toClient(u.name, out.result).tasks;
        mine.push(...this.deps.tasks.ownedBy(session.id, Array.isArray(listed) ? listed : []));
        const next = out.result.nextCursor;
        if (typeof next !== 'string' || !next) break;
        cursor = next;
      }
    }
    return this.page('tasks', mine, params);
  }

  private async setLevel(session: Session, params: JsonObject | undefined): Promise<JsonObject> {
    const level = params?.level;
    if (!LOG_LEVELS.includes(level as LogLevel)) {
      throw new GatewayError('SWY_INVALID_PARAMS', {
        detail: `level must be one of ${LOG_LEVELS.join(', ')}`,
      });
    }
    await this.deps.sessions().setLogLevel(session, level as LogLevel);
    await this.applyLevels();
    return {};
  }

  /**
   * Upstream connections are shared, so each upstream logs at the most verbose level any session
   * asked for; each session then only receives messages at or above its own level.
   */
  private async applyLevels(): Promise<void> {
    let min: number | undefined;
    for (const s of this.deps.sessions().values()) {
      if (s.logLevel === null) continue;
      const i = LOG_LEVELS.indexOf(s.logLevel);
      if (min === undefined || i < min) min = i;
    }
    if (min === undefined) return;
    const level = LOG_LEVELS[min]!;
    await Promise.all(
      this.deps
        .upstreams()
        .filter(
          (u) =>
            u.state === 'ready' && u.info?.capabilities.logging && this.upstreamLevels.get(u.name) !== level,
        )
        .map(async (u) => {
          this.upstreamLevels.set(u.name, level);
          const out = await u
            .call('logging/setLevel', { level }, {})
            .catch((err: unknown) => ({ error: err }));
          if ('error' in out)
            this.deps.log.debug({ upstream: u.name, err: out.error }, 'logging/setLevel failed');
        }),
    );
  }

  private async subscribe(
    session: Session,
    params: JsonObject | undefined,
    cancellation: Cancellation,
  ): Promise<JsonObject> {
    const uri = this.uriOf(params);
    const upstream = this.subscribable(uri);
    let set = this.subscribers.get(uri);
    if (!set || set.size === 0) {
      const out = await upstream.call('resources/subscribe', params, { cancellation });
      if ('error' in out) throw new UpstreamAnswer(out.error);
      set = this.subscribers.get(uri) ?? new Set();
      this.subscribers.set(uri, set);
    }
    set!.add(session.id);
    session.subscriptions.add(uri);
    return {};
  }

  private async unsubscribe(
    session: Session,
    params: JsonObject | undefined,
    _cancellation: Cancellation,
  ): Promise<JsonObject> {
    const uri = this.uriOf(params);
    session.subscriptions.delete(uri);
    await this.release(session, uri);
    return {};
  }

  private async release(session: Session, uri: string): Promise<void> {
    const set = this.subscribers.get(uri);
    if (!set?.delete(session.id) || set.size > 0) return;
    this.subscribers.delete(uri);
    const upstream = this.deps.routes().resource(uri);
    if (upstream?.info?.capabilities.resources?.subscribe)
      await upstream.call('resources/unsubscribe', { uri }, {});
  }

  private uriOf(params: JsonObject | undefined): string {
    const uri = params?.uri;
    if (typeof uri !== 'string')
      throw new GatewayError('SWY_INVALID_PARAMS', { detail: 'uri must be a string' });
    return uri;
  }

  private subscribable(uri: string): Backend {
    if (isGatewayResource(uri)) {
      throw new GatewayError('SWY_CAPABILITY_MISSING', { method: `resources/subscribe on ${uri}` });
    }
    const upstream = this.deps.routes().resource(uri);
    if (!upstream) throw new GatewayError('SWY_RESOURCE_NOT_FOUND', { uri });
    if (!upstream.info?.capabilities.resources?.subscribe) {
      throw new GatewayError('SWY_CAPABILITY_MISSING', { method: `resources/subscribe on ${upstream.name}` });
    }
    return upstream;
  }
}

/** An upstream's own error answer to a request the gateway made for the client: passed on as is. */
export class UpstreamAnswer extends Error {
  constructor(readonly error: { code: number; message: string; data?: unknown }) {
    super(error.message);
  }
}
