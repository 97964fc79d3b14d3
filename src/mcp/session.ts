/**
 * A downstream MCP session: one client connected to the gateway (over Streamable HTTP or stdio).
 *
 * It holds what the protocol makes per-client — negotiated version, client capabilities, log level,
 * resource subscriptions — plus the client's requests in flight (for cancellation) and the
 * gateway's requests to the client (sampling, elicitation, roots relayed from upstreams).
 * The durable part is persisted in the store, so a session survives a gateway restart.
 */
import { LoggingLevelSchema, type LoggingLevel } from '@modelcontextprotocol/sdk/types.js';
import { GatewayError } from '../errors/index.js';
import type { Principal } from '../policy/principal.js';
import type { CallOutcome, Cancellation } from './upstream/forwarder.js';
import type { JsonObject, RequestId, RpcNotification, RpcRequest, RpcResponse } from './jsonrpc.js';

/** Where a request's related messages and its answer go. One per downstream request. */
export interface Reply {
  /** A message tied to the request: progress, a log message, a server-to-client request. */
  related(msg: RpcNotification | RpcRequest): void;
  /** The final answer. */
  respond(msg: RpcResponse): void;
  /** The caller cancelled; per MCP §Cancellation no answer is sent. */
  cancelled(): void;
}

/** Where messages not tied to any request go (the standalone GET stream, or stdout). */
export interface SessionOutlet {
  send(msg: RpcNotification | RpcRequest): boolean;
}

/** Syslog severities, least severe first (MCP §Logging). */
export const LOG_LEVELS = LoggingLevelSchema.options;
export type LogLevel = LoggingLevel;

export interface SessionInit {
  id: string;
  transport: 'http' | 'stdio';
  protocolVersion: string;
  clientInfo: JsonObject;
  clientCapabilities: JsonObject;
  logLevel?: LogLevel | null;
  createdAt?: number;
  /** The principal that opened the session (every later request must be theirs). */
  principal?: string;
  /** That principal as authenticated (name and groups), when the session is opened live. */
  identity?: Principal;
}

interface InFlight {
  cancellation: Cancellation;
  upstream?: string;
  reply: Reply;
  startedAt: number;
}

interface Outgoing {
  resolve(o: CallOutcome): void;
  reject(e: unknown): void;
}

let outgoingSeq = 0;

export class Session {
  readonly id: string;
  readonly transport: 'http' | 'stdio';
  readonly protocolVersion: string;
  readonly clientInfo: JsonObject;
  readonly clientCapabilities: JsonObject;
  readonly createdAt: number;
  readonly principal: string | undefined;
  /**
   * The principal as last authenticated on this session: what policy looks at when an upstream
   * sends something outside any request (gateway/server-messages.ts). Not stored: groups come
   * with the credential and can change, so a session restored from the store has none until its
   * next authenticated request, and until then receives nothing that policy decides on.
   */
  identity: Principal | undefined;
  logLevel: LogLevel | null;
  lastSeen = Date.now();
  closed = false;
  readonly subscriptions = new Set<string>();
  /** Requests from this client being served, by the client's JSON-RPC id. */
  readonly inFlight = new Map<RequestId, InFlight>();
  outlet: SessionOutlet | undefined;
  private readonly outgoing = new Map<string, Outgoing>();

  constructor(init: SessionInit) {
    this.id = init.id;
    this.transport = init.transport;
    this.protocolVersion = init.protocolVersion;
    this.clientInfo = init.clientInfo;
    this.clientCapabilities = init.clientCapabilities;
    this.logLevel = init.logLevel ?? null;
    this.createdAt = init.createdAt ?? Date.now();
    this.principal = init.principal;
    this.identity = init.identity;
  }

  /** Does the client accept server-to-client requests of this method? (MCP §Capabilities) */
  supports(method: string): boolean {
    const caps = this.clientCapabilities;
    if (method === 'sampling/createMessage') return caps.sampling !== undefined;
    if (method === 'elicitation/create') return caps.elicitation !== undefined;
    if (method === 'roots/list') return caps.roots !== undefined;
    return method === 'ping';
  }

  /** Would a log message of this level reach the client? (MCP §Logging) */
  wantsLog(level: unknown): boolean {
    if (this.logLevel === null) return true;
    const i = LOG_LEVELS.indexOf(level as LogLevel);
    return i === -1 || i >= LOG_LEVELS.indexOf(this.logLevel);
  }

  /**
   * Send a request to the client and wait for its answer. With `via`, the request travels with
   * the downstream request it belongs to (on that request's response stream); otherwise on the
   * session's standalone stream.
   */
  request(
    req: { method: string; params?: JsonObject },
    signal: AbortSignal,
    via?: Pick<Reply, 'related'>,
  ): Promise<CallOutcome> {
    if (!this.supports(req.method)) {
      return Promise.reject(
        new GatewayError('SWY_NO_CLIENT', { method: req.method, capability: req.method.split('/')[0] }),
      );
    }
    const id = `swy-c${++outgoingSeq}`;
    const message: RpcRequest = {
      jsonrpc: '2.0',
      id,
      method: req.method,
      ...(req.params ? { params: req.params } : {}),
    };
    return new Promise<CallOutcome>((resolve, reject) => {
      const onAbort = () => {
        this.outgoing.delete(id);
        this.notify({
          jsonrpc: '2.0',
          method: 'notifications/cancelled',
          params: { requestId: id, reason: String(signal.reason ?? 'cancelled upstream') },
        });
        reject(new GatewayError('SWY_NO_CLIENT', { method: req.method, capability: 'cancelled' }));
      };
      this.outgoing.set(id, {
        resolve: (o) => {
          signal.removeEventListener('abort', onAbort);
          resolve(o);
        },
        reject: (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
      signal.addEventListener('abort', onAbort, { once: true });
      if (via) via.related(message);
      else if (!this.outlet?.send(message)) {
        this.outgoing.delete(id);
        signal.removeEventListener('abort', onAbort);
        reject(new GatewayError('SWY_NO_CLIENT', { method: req.method, capability: 'an open stream for' }));
      }
    });
  }

  /** A response from the client to one of our requests. Returns false if it was not ours. */
  deliverResponse(msg: RpcResponse): boolean {
    if (typeof msg.id !== 'string') return false;
    const pending = this.outgoing.get(msg.id);
    if (!pending) return false;
    this.outgoing.delete(msg.id);
    pending.resolve('result' in msg ? { result: msg.result } : { error: msg.error });
    return true;
  }

  /** A notification not tied to a request. Returns false if the client cannot be reached now. */
  notify(n: RpcNotification): boolean {
    return this.outlet?.send(n) ?? false;
  }

  /** End the session: cancel what is in flight, fail what waits on the client. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const f of this.inFlight.values()) f.cancellation.cancel('session closed');
    this.inFlight.clear();
    for (const o of this.outgoing.values()) o.reject(new GatewayError('SWY_SESSION_NOT_FOUND'));
    this.outgoing.clear();
  }
}
