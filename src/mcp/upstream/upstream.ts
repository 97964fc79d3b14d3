/**
 * One upstream MCP server: its connection, what it offers, and its life (start, health checks,
 * restart with backoff, graceful stop).
 *
 * There is one connection per upstream, shared by every downstream session: one process per stdio
 * server, one MCP session per HTTP server (docs/architecture.md explains why and what it costs).
 * The SDK Client performs the handshake and pings; the Forwarder relays everything else.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  PromptSchema,
  ResourceSchema,
  ResourceTemplateSchema,
  ToolSchema,
  type JSONRPCMessage,
  type ServerCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import { isStdio, type UpstreamConfig } from '../../config/schema.js';
import { GatewayError, toJsonRpcError } from '../../gateway/errors.js';
import type { Logger } from '../../telemetry/logger.js';
import { VERSION } from '../../version.js';
import type {
  JsonObject,
  RequestId,
  RpcErrorObject,
  RpcMessage,
  RpcNotification,
  RpcRequest,
  RpcResponse,
} from '../jsonrpc.js';
import { Forwarder, type CallOptions, type CallOutcome, type Channel } from './forwarder.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { UpstreamCredentials } from '../../policy/upstream-credentials.js';
import type { HttpChannel } from './http-channel.js';
import { MuxTransport } from './mux-transport.js';
import { limitedFetch } from './response-limit.js';
import { StdioUpstreamTransport, type OversizedLine } from './stdio-transport.js';
import type { Backend } from './backend.js';

export type ListKind = 'tools' | 'prompts' | 'resources' | 'resourceTemplates';

export interface UpstreamLists {
  readonly tools: readonly JsonObject[];
  readonly prompts: readonly JsonObject[];
  readonly resources: readonly JsonObject[];
  readonly resourceTemplates: readonly JsonObject[];
}

export const EMPTY_LISTS: UpstreamLists = Object.freeze({
  tools: [],
  prompts: [],
  resources: [],
  resourceTemplates: [],
});

export type UpstreamState = 'starting' | 'ready' | 'restarting' | 'stopped';

export interface UpstreamInfo {
  serverInfo: JsonObject;
  capabilities: ServerCapabilities;
  instructions?: string;
  protocolVersion?: string;
}

/** How an upstream tells the gateway about things that are not answers to a forwarded call. */
export interface UpstreamHooks {
  listsChanged(u: Backend, kinds: readonly ListKind[]): void;
  stateChanged(u: Backend): void;
  /** A notification not tied to a call: resources/updated, notifications/message, … */
  notification(u: Backend, n: RpcNotification): void;
  /** A server-to-client request the upstream made outside of any call's response stream. */
  serverRequest(u: Backend, req: RpcRequest, signal: AbortSignal): Promise<CallOutcome>;
}

const LISTS: Record<
  ListKind,
  {
    method: string;
    key: string;
    capability: keyof ServerCapabilities;
    schema: z.ZodType;
    /** The field that names an entry: two entries with the same one are the same entry. */
    id: string;
  }
> = {
  tools: { method: 'tools/list', key: 'tools', capability: 'tools', schema: ToolSchema, id: 'name' },
  prompts: {
    method: 'prompts/list',
    key: 'prompts',
    capability: 'prompts',
    schema: PromptSchema,
    id: 'name',
  },
  resources: {
    method: 'resources/list',
    key: 'resources',
    capability: 'resources',
    schema: ResourceSchema,
    id: 'uri',
  },
  resourceTemplates: {
    method: 'resources/templates/list',
    key: 'resourceTemplates',
    capability: 'resources',
    schema: ResourceTemplateSchema,
    id: 'uriTemplate',
  },
};

const LIST_CHANGED: Record<string, ListKind[]> = {
  'notifications/tools/list_changed': ['tools'],
  'notifications/prompts/list_changed': ['prompts'],
  'notifications/resources/list_changed': ['resources', 'resourceTemplates'],
};

/** A cursor loop that does not end is a bug upstream; stop following it. */
const MAX_PAGES = 100;
/** A connection that stayed up this long resets the restart backoff. */
const STABLE_AFTER_MS = 10_000;

interface Connection {
  client: Client;
  forwarder: Forwarder;
  transport: Transport;
  http?: HttpChannel;
  /** Headers from secret files and OAuth tokens (HTTP upstreams that configure them). */
  credentials?: UpstreamCredentials;
  since: number;
  /** The end of this connection's list reads (see `readLists`). */
  reads: Promise<void>;
  /** A liveness probe is under way. */
  probing?: boolean;
}

export class Upstream implements Backend {
  readonly kind = 'mcp' as const;
  state: UpstreamState = 'starting';
  lists: UpstreamLists = EMPTY_LISTS;
  /** What it offered when last connected: lets the gateway name it when a client calls one of those. */
  lastKnownLists: UpstreamLists = EMPTY_LISTS;
  info: UpstreamInfo | undefined;
  lastError: string | undefined;
  /**
   * What this connection's server does that the protocol does not expect and the gateway took
   * anyway (an optional list that fails, a cursor that repeats, entries that do not validate):
   * shown by /readyz and `switchyard tools`, so a server that works only in part says so.
   */
  tolerated: readonly string[] = [];
  /** Set once the first connection attempt has finished, successfully or not. */
  readonly firstAttempt: Promise<void>;

  private conn: Connection | undefined;
  /** Ends the handshake under way (stop() during a start that has not finished). */
  private handshake: AbortController | undefined;
  private attempt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private healthFailures = 0;
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly dirty = new Set<ListKind>();
  private readonly serverRequests = new Map<RequestId, AbortController>();
  private resolveFirst!: () => void;
  private readonly log: Logger;

  constructor(
    readonly spec: UpstreamConfig,
    private readonly hooks: UpstreamHooks,
    log: Logger,
    /** Where the spec came from, for admin listings and messages. */
    readonly origin: 'config' | 'admin' = 'config',
  ) {
    this.log = log.child({ upstream: spec.name });
    this.firstAttempt = new Promise((r) => (this.resolveFirst = r));
  }

  get name(): string {
    return this.spec.name;
  }

  /** Read through a getter: the state changes while connect() awaits. */
  private get stopped(): boolean {
    return this.state === 'stopped';
  }

  get inFlight(): number {
    return this.conn?.forwarder.inFlight ?? 0;
  }

  /** Start connecting. Never throws: a failing upstream is retried in the background. */
  start(): Promise<void> {
    this.connectInBackground();
    return this.firstAttempt;
  }

  /** connect() reports its own failures and retries; this is the backstop. */
  private connectInBackground(): void {
    this.connect().catch((err: unknown) => this.log.error({ err }, 'connecting to the upstream failed'));
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
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    clearTimeout(this.restartTimer);
    clearInterval(this.healthTimer);
    clearTimeout(this.refreshTimer);
    this.handshake?.abort(new Error('upstream stopped'));
    this.resolveFirst();
    const conn = this.conn;
    if (conn) {
      const deadline = Date.now() + graceMs;
      while (conn.forwarder.inFlight > 0 && Date.now() < deadline) await sleep(25);
      this.conn = undefined;
      await this.closeConnection(conn, 'upstream stopped');
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

  /**
   * Read some lists from the upstream and put them in place of those kinds only, on the lists as
   * they are when the read ends. A connection's reads run one after another, its initial read
   * first: a list_changed that arrives while the upstream starts is read after the start's own
   * reads, and no read writes back a copy of lists it did not read. Resolves to false (nothing
   * written) when the connection changed meanwhile.
   */
  private readLists(conn: Connection, kinds: readonly ListKind[]): Promise<boolean> {
    const read = conn.reads.then(async () => {
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
    conn.reads = read.then(
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
      const items = await this.fetchAll(conn, kind, notes);
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

  private async connect(): Promise<void> {
    if (this.state === 'stopped') return;
    const started = Date.now();
    let conn: Connection | undefined;
    try {
      conn = await this.openConnection();
      if (this.stopped) {
        await this.closeConnection(conn, 'upstream stopped');
        return;
      }
      this.conn = conn;
      this.tolerated = [];
      const caps = conn.client.getServerCapabilities() ?? {};
      this.info = {
        serverInfo: (conn.client.getServerVersion() ?? {}) as JsonObject,
        capabilities: caps,
        instructions: conn.client.getInstructions(),
        protocolVersion: (conn.transport as { protocolVersion?: string }).protocolVersion,
      };
      // Lost or stopped meanwhile: whoever did that has taken care of what comes next.
      if (!(await this.readLists(conn, Object.keys(LISTS) as ListKind[]))) return;
      const lists = this.lists;
      this.state = 'ready';
      this.lastError = undefined;
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
      this.hooks.stateChanged(this);
      this.hooks.listsChanged(this, Object.keys(LISTS) as ListKind[]);
    } catch (err) {
      const reason = describe(err, conn);
      if (conn) {
        if (this.conn === conn) this.conn = undefined;
        await this.closeConnection(conn, reason).catch(() => {});
      }
      if (!this.stopped) {
        this.lastError = reason;
        this.log.warn({ reason }, 'upstream failed to start');
        this.scheduleRestart();
        this.hooks.stateChanged(this);
      }
    } finally {
      this.resolveFirst();
    }
  }

  private async openConnection(): Promise<Connection> {
    const spec = this.spec;
    let inner: Transport;
    let http: HttpChannel | undefined;
    // The connection object is filled in as it is built; message hooks read it lazily.
    const conn = { since: Date.now(), reads: Promise.resolve() } as Connection;
    // HTTP transports are loaded on first use: a gateway of stdio servers never needs them.
    if (isStdio(spec.mcp)) {
      const stdio = new StdioUpstreamTransport(
        spec.mcp,
        (line) => this.log.debug({ stderr: line }, 'upstream stderr'),
        spec.maxResponseBytes,
      );
      stdio.onOversized = (line) => this.oversizedLine(conn, line);
      inner = stdio;
    } else {
      const mcp = spec.mcp;
      const creds = UpstreamCredentials.needed(mcp) ? new UpstreamCredentials(mcp, this.log) : undefined;
      conn.credentials = creds;
      await creds?.start();
      const headers = creds ? () => creds.headers() : () => mcp.headers;
      // The SDK's transports take headers once; with refreshed tokens each request gets the current ones.
      const base: FetchLike = creds
        ? (url, init) => {
            const h = new Headers(init?.headers);
            for (const [k, v] of Object.entries(creds.headers())) h.set(k, v);
            return fetch(url, { ...init, headers: h });
          }
        : (url, init) => fetch(url, init);
      // What the SDK's transports read (the handshake, pings, their streams) is limited too.
      const sdkFetch = limitedFetch(base, spec.maxResponseBytes, () => {
        const err = this.tooLarge('handshake, ping or stream');
        if (mcp.transport === 'sse') this.sharedStreamTooLarge(conn);
        return err;
      });
      if (mcp.transport === 'sse') {
        const { SSEClientTransport } = await import('@modelcontextprotocol/sdk/client/sse.js');
        inner = new SSEClientTransport(new URL(mcp.url), {
          requestInit: { headers: { ...headers() } },
          fetch: sdkFetch,
        });
      } else {
        const [{ StreamableHTTPClientTransport }, { HttpChannel }] = await Promise.all([
          import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
          import('./http-channel.js'),
        ]);
        const t = new StreamableHTTPClientTransport(new URL(mcp.url), {
          requestInit: { headers: { ...headers() } },
          fetch: sdkFetch,
        });
        inner = t;
        http = new HttpChannel(
          this.name,
          new URL(mcp.url),
          headers,
          () => ({ sessionId: t.sessionId, protocolVersion: t.protocolVersion }),
          () => this.connectionLost(conn, 'the upstream ended its MCP session'),
          spec.maxResponseBytes,
        );
        http.unrelated = (m) => this.onMessage(conn, m);
        http.onTransportError = (err) => this.probe(conn, err.message);
      }
    }
    const channel: Channel = http ?? {
      sendRequest: (req) => inner.send(req as JSONRPCMessage),
      send: (msg) => inner.send(msg as JSONRPCMessage),
    };
    const forwarder = new Forwarder(this.name, channel);
    if (http) http.forwarder = forwarder;
    const transport = new MuxTransport(inner, (m) => this.onMessage(conn, m as RpcMessage));
    const client = new Client(
      { name: 'switchyard', version: VERSION },
      {
        // The gateway relays these to its downstream clients (see docs/architecture.md).
        capabilities: { sampling: {}, elicitation: { form: {}, url: {} }, roots: { listChanged: true } },
      },
    );
    Object.assign(conn, { client, forwarder, transport: inner, http });
    client.onclose = () => this.connectionLost(conn, closeReason(inner));
    client.onerror = (err) => this.log.debug({ err: err.message }, 'upstream transport error');
    // A failed or aborted handshake closes the transport (the SDK Client does), ending a child process.
    const handshake = (this.handshake = new AbortController());
    try {
      await client.connect(transport, {
        timeout: this.spec.startTimeoutMs || 60_000,
        signal: handshake.signal,
      });
    } finally {
      if (this.handshake === handshake) this.handshake = undefined;
    }
    return conn;
  }

  private tooLarge(method: string): GatewayError {
    return new GatewayError('SWY_UPSTREAM_RESPONSE_TOO_LARGE', {
      upstream: this.name,
      method,
      limit: this.spec.maxResponseBytes,
    });
  }

  /**
   * A stdio line over the limit was skipped. If its edges name the call it answers, that call
   * fails; a notification or request from the server is just dropped; a message that cannot be
   * told fails every call in flight, since any of them may have lost its answer.
   */
  private oversizedLine(conn: Connection, line: OversizedLine): void {
    const fail = (call: { method: string }) => this.tooLarge(call.method);
    const { id } = line;
    const answers = typeof id === 'string' && conn.forwarder?.isPending(id) ? id : undefined;
    this.log.warn(
      { limit: line.limit, ...(id !== undefined ? { id } : {}), hasMethod: line.method },
      'upstream sent a message larger than maxResponseBytes: skipped',
    );
    if (answers) conn.forwarder.fail(answers, fail);
    else if (!line.method && id === undefined) conn.forwarder?.failAll(fail);
  }

  /**
   * The legacy SSE stream, which carries every answer, sent an event over the limit: which call it
   * answered cannot be known, so every call in flight fails and the connection starts afresh.
   */
  private sharedStreamTooLarge(conn: Connection): void {
    this.log.warn(
      { limit: this.spec.maxResponseBytes },
      'upstream sent a message larger than maxResponseBytes',
    );
    conn.forwarder?.failAll((call) => this.tooLarge(call.method));
    this.connectionLost(
      conn,
      `it sent a message larger than maxResponseBytes (${this.spec.maxResponseBytes} bytes)`,
    );
  }

  /** Route a message the upstream sent outside of a forwarded call's own response stream. */
  private onMessage(conn: Connection, msg: RpcMessage): boolean {
    if (conn.forwarder?.deliver(msg)) return true;
    if ('id' in msg && 'method' in msg) {
      if (msg.method === 'ping') return false; // the SDK Client answers pings
      this.answerServerRequest(conn, msg);
      return true;
    }
    if ('method' in msg) {
      const kinds = LIST_CHANGED[msg.method];
      if (kinds) this.markDirty(kinds);
      else if (msg.method === 'notifications/cancelled') {
        const id = msg.params?.requestId as RequestId | undefined;
        if (id !== undefined) this.serverRequests.get(id)?.abort(msg.params?.reason);
      } else this.hooks.notification(this, msg);
      return true;
    }
    return false; // a response to the SDK Client's own request
  }

  private answerServerRequest(conn: Connection, req: RpcRequest): void {
    const ac = new AbortController();
    this.serverRequests.set(req.id, ac);
    const reply = (body: { result: JsonObject } | { error: RpcErrorObject }) =>
      ac.signal.aborted
        ? undefined
        : conn.forwarder.send({ jsonrpc: '2.0', id: req.id, ...body } as RpcResponse);
    this.hooks
      .serverRequest(this, req, ac.signal)
      .then(reply, (err: unknown) => reply({ error: toJsonRpcError(err) }))
      .catch((err: unknown) => this.log.debug({ err }, 'could not answer a server request'))
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

  /** Every page of one list. What had to be worked around is added to `notes`. */
  private async fetchAll(conn: Connection, kind: ListKind, notes: string[]): Promise<JsonObject[]> {
    const { method, key, schema } = LISTS[kind];
    const out: JsonObject[] = [];
    const ids = new Set<string>();
    const seen = new Set<string>();
    let invalid = 0;
    let repeated = 0;
    let cursor: string | undefined;
    for (let page = 0; ; page++) {
      if (page === MAX_PAGES) {
        notes.push(`${method} still had more after ${MAX_PAGES} pages: the rest is not listed`);
        break;
      }
      const outcome = await conn.forwarder.call(method, cursor ? { cursor } : undefined, {
        timeoutMs: this.spec.timeoutMs || 60_000,
      });
      if ('error' in outcome) {
        const { message, code } = outcome.error;
        // The SDK's servers put "MCP error <code>: " in front of their messages.
        throw new Error(`${message.replace(/^MCP error -?\d+: /, '')}, code ${code}`);
      }
      const items = outcome.result[key];
      for (const item of Array.isArray(items) ? items : []) {
        // Validate each entry at the edge; one malformed tool must not hide the others.
        const ok = schema.safeParse(item);
        if (!ok.success) {
          invalid++;
          this.log.warn(
            { kind, item: summarize(item), issue: ok.error.issues[0]?.message },
            'skipping invalid entry',
          );
          continue;
        }
        const id = String((item as JsonObject)[LISTS[kind].id]);
        if (ids.has(id)) {
          repeated++;
          continue;
        }
        ids.add(id);
        out.push(item as JsonObject);
      }
      const next = outcome.result.nextCursor;
      if (typeof next !== 'string' || next === '') break;
      if (seen.has(next)) {
        notes.push(`${method} returned a cursor it had returned before: stopped there`);
        break;
      }
      seen.add(next);
      cursor = next;
    }
    if (invalid)
      notes.push(`${method} had ${invalid} invalid ${plural(invalid, 'entry', 'entries')}: skipped`);
    if (repeated)
      notes.push(
        `${method} listed ${repeated} ${plural(repeated, 'entry', 'entries')} twice: kept the first`,
      );
    return out;
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
    if (this.conn !== conn || conn.probing) return;
    conn.probing = true;
    conn.client
      .ping({ timeout: this.spec.healthCheck.timeoutMs || 5_000 })
      .then(
        () => undefined,
        (err: unknown) => this.connectionLost(conn, `${reason}; ping failed: ${describe(err)}`),
      )
      .finally(() => (conn.probing = false));
  }

  private connectionLost(conn: Connection, reason: string): void {
    if (this.conn !== conn || this.state === 'stopped') return;
    this.conn = undefined;
    clearInterval(this.healthTimer);
    this.lastError = reason;
    this.state = 'restarting';
    this.log.warn({ reason }, 'upstream connection lost');
    conn.forwarder.close(reason);
    for (const ac of this.serverRequests.values()) ac.abort();
    this.closeConnection(conn, reason).catch((err: unknown) =>
      this.log.debug({ err }, 'closing the lost connection failed'),
    );
    if (Date.now() - conn.since > STABLE_AFTER_MS) this.attempt = 0;
    this.lists = EMPTY_LISTS;
    this.hooks.stateChanged(this);
    this.hooks.listsChanged(this, Object.keys(LISTS) as ListKind[]);
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    if (this.state === 'stopped') return;
    this.state = 'restarting';
    const { initialDelayMs, maxDelayMs } = this.spec.restart;
    const base = Math.min(maxDelayMs, initialDelayMs * 2 ** this.attempt);
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.attempt++;
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => this.connectInBackground(), delay);
    this.restartTimer.unref();
    this.log.info({ delayMs: delay, attempt: this.attempt }, 'restart scheduled');
  }

  private async closeConnection(conn: Connection, reason: string): Promise<void> {
    conn.credentials?.stop();
    conn.forwarder?.close(reason);
    if (conn.http) {
      // Tell the upstream the session is over (MCP §Session Management), if it still listens.
      const t = conn.transport as Transport & { terminateSession(): Promise<void> };
      await withTimeout(t.terminateSession(), 1000).catch(() => {});
    }
    await conn.client?.close().catch(() => {});
    await conn.http?.close().catch(() => {});
  }
}

function closeReason(t: Transport): string {
  if (t instanceof StdioUpstreamTransport) {
    const tail = t.lastStderr.split('\n').slice(-3).join(' | ');
    return `the process exited${tail ? ` (stderr: ${tail})` : ''}`;
  }
  return 'the connection closed';
}

function describe(err: unknown, conn?: Connection): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (conn && conn.transport instanceof StdioUpstreamTransport && conn.transport.lastStderr) {
    return `${msg} (stderr: ${conn.transport.lastStderr.split('\n').slice(-3).join(' | ')})`;
  }
  return msg;
}

function plural(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}

function summarize(item: unknown): unknown {
  if (item && typeof item === 'object') {
    const o = item as JsonObject;
    return { name: o.name, uri: o.uri, uriTemplate: o.uriTemplate };
  }
  return item;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([p, sleep(ms).then(() => undefined)]);
}
