/**
 * One upstream MCP server: its connection, what it offers, and its life (start, health checks,
 * restart with backoff, graceful stop).
 *
 * There is one connection per upstream, shared by every downstream session: one process per stdio
 * server, one MCP session per HTTP server (docs/architecture.md explains why and what it costs).
 * The SDK Client performs the handshake and pings; the Forwarder relays everything else. When to
 * connect and reconnect is the Supervisor's (supervisor.ts); opening a connection is connection.ts's.
 */
import type { ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';
import type { UpstreamConfig } from '../../config/schema.js';
import { GatewayError, toJsonRpcError } from '../../errors/index.js';
import type { Logger } from '../../telemetry/logger.js';
import type { JsonObject, RequestId, RpcNotification, RpcRequest } from '../jsonrpc.js';
import {
  EMPTY_LISTS,
  type Backend,
  type ListKind,
  type UpstreamHooks,
  type UpstreamInfo,
  type UpstreamLists,
  type UpstreamState,
} from './backend.js';
import {
  closeConnection,
  describe,
  openConnection,
  type Connection,
  type ConnectionSink,
} from './connection.js';
import type { CallOptions, CallOutcome, PendingCall } from './forwarder.js';
import { ALL_LISTS, fetchAll, LIST_CHANGED, LISTS } from './lists.js';
import { drain, Supervisor, type AttemptOutcome } from './supervisor.js';

/** A connection that stayed up this long resets the restart backoff. */
const STABLE_AFTER_MS = 10_000;

export class Upstream implements Backend {
  readonly kind = 'mcp' as const;
  lists: UpstreamLists = EMPTY_LISTS;
  /** What it offered when last connected: lets the gateway name it when a client calls one of those. */
  lastKnownLists: UpstreamLists = EMPTY_LISTS;
  info: UpstreamInfo | undefined;
  /**
   * What this connection's server does that the protocol does not expect and the gateway took
   * anyway (an optional list that fails, a cursor that repeats, entries that do not validate):
   * shown by /readyz and `switchyard tools`, so a server that works only in part says so.
   */
  tolerated: readonly string[] = [];

  private readonly life: Supervisor;
  private conn: Connection | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private healthFailures = 0;
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly dirty = new Set<ListKind>();
  private readonly serverRequests = new Map<RequestId, AbortController>();
  private readonly log: Logger;
  /** The end of the current connection's list reads (they run one after another). */
  private reads: Promise<void> = Promise.resolve();
  /** The connection a liveness probe is under way on. */
  private probing: Connection | undefined;

  constructor(
    readonly spec: UpstreamConfig,
    private readonly hooks: UpstreamHooks,
    log: Logger,
    /** Where the spec came from, for admin listings and messages. */
    readonly origin: 'config' | 'admin' = 'config',
  ) {
    this.log = log.child({ upstream: spec.name });
    this.life = new Supervisor({
      restart: spec.restart,
      stableAfterMs: STABLE_AFTER_MS,
      attempt: (signal) => this.connect(signal),
      changed: () => {
        this.hooks.stateChanged(this);
        if (this.state === 'ready') this.hooks.listsChanged(this, ALL_LISTS);
      },
      log: this.log,
    });
  }

  get name(): string {
    return this.spec.name;
  }

  get state(): UpstreamState {
    return this.life.state;
  }

  get lastError(): string | undefined {
    return this.life.lastError;
  }

  /** Set once the first connection attempt has finished, successfully or not. */
  get firstAttempt(): Promise<void> {
    return this.life.firstAttempt;
  }

  get inFlight(): number {
    return this.conn?.forwarder.inFlight ?? 0;
  }

  /** Start connecting. Never throws: a failing upstream is retried in the background. */
  start(): Promise<void> {
    return this.life.start();
  }

  /** Forward a request. Fails fast, naming the upstream, when it is not connected. */
  call(
    method: string,
    params: JsonObject | undefined,
    opts: Omit<CallOptions, 'timeoutMs'> & { timeoutMs?: number },
  ) {
    const conn = this.conn;
    if (!conn || this.state !== 'ready') {
      return Promise.reject(
        new GatewayError('SWY_UPSTREAM_UNAVAILABLE', {
          upstream: this.name,
          detail: this.state === 'stopped' ? 'it was removed' : (this.lastError ?? this.state),
        }),
      );
    }
    return conn.forwarder.call(method, params, {
      timeoutMs: opts.timeoutMs ?? this.spec.timeoutMs,
      maxTotalTimeoutMs: opts.maxTotalTimeoutMs ?? this.spec.maxTotalTimeoutMs,
      cancellation: opts.cancellation,
      related: opts.related,
    });
  }

  notify(n: RpcNotification): Promise<void> {
    if (!this.conn || this.state !== 'ready') return Promise.resolve();
    return this.conn.forwarder.send(n).catch((err: unknown) => {
      this.log.debug({ err, method: n.method }, 'notification to upstream failed');
    });
  }

  /** Stop: refuse new calls, let in-flight ones finish (up to graceMs), then close the connection. */
  async stop(graceMs = 5_000): Promise<void> {
    if (!this.life.stop()) return;
    clearInterval(this.healthTimer);
    clearTimeout(this.refreshTimer);
    const conn = this.conn;
    if (conn) {
      await drain(() => conn.forwarder.inFlight, graceMs);
      this.conn = undefined;
      await closeConnection(conn, 'upstream stopped');
    }
    for (const ac of this.serverRequests.values()) ac.abort();
    this.lists = EMPTY_LISTS;
    this.hooks.stateChanged(this);
  }

  /** Re-read one or more lists now (also used after list_changed). */
  async refresh(kinds: readonly ListKind[]): Promise<void> {
    const conn = this.conn;
    if (!conn) return; // not connected: the next connection reads every list anyway
    if (await this.readLists(conn, kinds)) this.hooks.listsChanged(this, kinds);
  }

  /** One connection attempt (the Supervisor decides when): open, read every list, start health checks. */
  private async connect(signal: AbortSignal): Promise<AttemptOutcome> {
    const started = Date.now();
    let conn: Connection | undefined;
    // What the connection reports; until it is open, there is no connection of ours to lose.
    const sink: ConnectionSink = {
      notify: (n) => this.onNotification(n),
      request: (req) => this.answerServerRequest(req),
      lost: (reason, fail) => conn && this.connectionLost(conn, reason, fail),
      suspect: (reason) => conn && this.probe(conn, reason),
    };
    try {
      conn = await openConnection(this.spec, this.log, sink, signal);
      if (this.life.stopped) {
        await closeConnection(conn, 'upstream stopped');
        return 'superseded';
      }
      this.conn = conn;
      this.reads = Promise.resolve();
      this.tolerated = [];
      const caps = conn.client.getServerCapabilities() ?? {};
      this.info = {
        serverInfo: (conn.client.getServerVersion() ?? {}) as JsonObject,
        capabilities: caps,
        instructions: conn.client.getInstructions(),
        protocolVersion: (conn.transport as { protocolVersion?: string }).protocolVersion,
      };
      // Lost or stopped meanwhile: whoever did that has taken care of what comes next.
      if (!(await this.readLists(conn, ALL_LISTS))) return 'superseded';
      const lists = this.lists;
      this.healthFailures = 0;
      this.startHealthChecks();
      this.log.info(
        {
          ms: Date.now() - started,
          server: this.info.serverInfo,
          tools: lists.tools.length,
          prompts: lists.prompts.length,
          resources: lists.resources.length,
        },
        'upstream ready',
      );
      return 'up';
    } catch (err) {
      const reason = describe(err, conn);
      if (conn) {
        if (this.conn === conn) this.conn = undefined;
        await closeConnection(conn, reason).catch(() => {});
      }
      if (!this.life.stopped) this.log.warn({ reason }, 'upstream failed to start');
      throw new Error(reason, { cause: err });
    }
  }

  /**
   * Read some lists from the upstream and put them in place of those kinds only, on the lists as
   * they are when the read ends. A connection's reads run one after another, its initial read
   * first: a list_changed that arrives while the upstream starts is read after the start's own
   * reads, and no read writes back a copy of lists it did not read. Resolves to false (nothing
   * written) when the connection changed meanwhile.
   */
  private readLists(conn: Connection, kinds: readonly ListKind[]): Promise<boolean> {
    const read = this.reads.then(async () => {
      if (this.conn !== conn) return false;
      const caps = conn.client.getServerCapabilities() ?? {};
      const next: Partial<Record<ListKind, readonly JsonObject[]>> = {};
      for (const kind of kinds) {
        next[kind] = caps[LISTS[kind].capability] ? await this.readList(conn, kind, caps) : [];
      }
      if (this.conn !== conn) return false;
      this.lists = Object.freeze({ ...this.lists, ...next });
      this.lastKnownLists = this.lists;
      return true;
    });
    this.reads = read.then(
      () => undefined,
      () => undefined, // a failed read is reported to its caller; the next one still runs
    );
    return read;
  }

  /**
   * One list, read leniently: a list the server declares but does not serve (many servers declare
   * `resources` and answer `resources/templates/list` with "Method not found") is taken as empty,
   * noted, and read again when the server announces a change. Only `tools/list` of a server that
   * offers nothing else is essential: failing it fails the start.
   */
  private async readList(
    conn: Connection,
    kind: ListKind,
    caps: ServerCapabilities,
  ): Promise<readonly JsonObject[]> {
    const notes: string[] = [];
    try {
      const opts = { timeoutMs: this.spec.timeoutMs || 60_000, log: this.log };
      const items = await fetchAll(conn.forwarder, kind, opts, notes);
      this.note(conn, kind, notes);
      return items;
    } catch (err) {
      if (kind === 'tools' && !caps.prompts && !caps.resources) throw err;
      this.note(conn, kind, [`${LISTS[kind].method} failed (${describe(err)}): taken as empty`]);
      return [];
    }
  }

  /** Replace what was tolerated in reading one list; each new note is logged once. */
  private note(conn: Connection, kind: ListKind, notes: readonly string[]): void {
    if (this.conn !== conn) return;
    const method = LISTS[kind].method;
    const others = this.tolerated.filter((n) => !n.startsWith(`${method} `));
    for (const n of notes)
      if (!this.tolerated.includes(n)) this.log.warn({ tolerated: n }, 'upstream oddity');
    this.tolerated = Object.freeze([...others, ...notes]);
  }

  /** A notification the upstream sent outside of a forwarded call's own response stream. */
  private onNotification(n: RpcNotification): void {
    const kinds = LIST_CHANGED[n.method];
    if (kinds) this.markDirty(kinds);
    else if (n.method === 'notifications/cancelled') {
      const id = n.params?.requestId as RequestId | undefined;
      if (id !== undefined) this.serverRequests.get(id)?.abort(n.params?.reason);
    } else this.hooks.notification(this, n);
  }

  /** A server-to-client request outside any call: the answer, or none if the upstream cancelled it. */
  private answerServerRequest(req: RpcRequest): Promise<CallOutcome | undefined> {
    const ac = new AbortController();
    this.serverRequests.set(req.id, ac);
    return this.hooks
      .serverRequest(this, req, ac.signal)
      .catch((err: unknown): CallOutcome => ({ error: toJsonRpcError(err) }))
      .then((outcome) => (ac.signal.aborted ? undefined : outcome))
      .finally(() => this.serverRequests.delete(req.id));
  }

  private markDirty(kinds: readonly ListKind[]): void {
    for (const k of kinds) this.dirty.add(k);
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      const todo = [...this.dirty];
      this.dirty.clear();
      this.refresh(todo).catch((err: unknown) =>
        this.log.warn({ reason: describe(err) }, 'refreshing lists after list_changed failed'),
      );
    }, 20);
  }

  private startHealthChecks(): void {
    clearInterval(this.healthTimer);
    const { intervalMs, timeoutMs, failures } = this.spec.healthCheck;
    if (!intervalMs) return;
    this.healthTimer = setInterval(() => {
      const conn = this.conn;
      if (!conn || this.state !== 'ready') return;
      conn.client.ping({ timeout: timeoutMs }).then(
        () => {
          this.healthFailures = 0;
        },
        (err: unknown) => {
          this.healthFailures++;
          this.log.warn({ failures: this.healthFailures, reason: describe(err) }, 'health check failed');
          if (this.healthFailures >= failures)
            this.connectionLost(conn, `health check failed ${failures} times`);
        },
      );
    }, intervalMs);
    this.healthTimer.unref();
  }

  /** Something suggests the upstream is gone: ping it now rather than at the next health check. */
  private probe(conn: Connection, reason: string): void {
    if (this.conn !== conn || this.probing === conn) return;
    this.probing = conn;
    conn.client
      .ping({ timeout: this.spec.healthCheck.timeoutMs || 5_000 })
      .then(
        () => undefined,
        (err: unknown) => this.connectionLost(conn, `${reason}; ping failed: ${describe(err)}`),
      )
      .finally(() => {
        if (this.probing === conn) this.probing = undefined;
      });
  }

  private connectionLost(conn: Connection, reason: string, fail?: (call: PendingCall) => GatewayError): void {
    // A lost message fails what may have been waiting for it, also while the upstream stops.
    if (fail) conn.forwarder.failAll(fail);
    if (this.conn !== conn || this.state === 'stopped') return;
    this.conn = undefined;
    clearInterval(this.healthTimer);
    this.log.warn({ reason }, 'upstream connection lost');
    conn.forwarder.close(reason);
    for (const ac of this.serverRequests.values()) ac.abort();
    closeConnection(conn, reason).catch((err: unknown) =>
      this.log.debug({ err }, 'closing the lost connection failed'),
    );
    this.lists = EMPTY_LISTS;
    this.life.lost(reason);
    this.hooks.listsChanged(this, ALL_LISTS);
  }
}
