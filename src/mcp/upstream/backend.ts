/**
 * What the federation needs from anything that offers tools, prompts and resources: an MCP server
 * (`Upstream`) or an A2A agent seen through the bridge (`A2aUpstream`). The route table, the
 * router and the pipeline depend on this interface only. It owns the words both sides use: the lists, the
 * states, and the hooks through which an upstream tells the gateway what happened.
 */
import type { AnyUpstreamConfig } from '../../config/schema.js';
import type { ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';
import type { JsonObject, RpcNotification, RpcRequest } from '../jsonrpc.js';
import type { Span } from '@opentelemetry/api';
import type { Principal } from '../../policy/principal.js';
import type { CallOutcome, Cancellation, RelatedSink } from './forwarder.js';

export interface BackendCallOptions {
  cancellation?: Cancellation;
  related?: RelatedSink;
  timeoutMs?: number;
  /**
   * Who the call is for, how many agents deep it is (0: straight from a client), and the trace
   * span it belongs to (when tracing is on).
   */
  caller?: { principal: Principal; depth: number; span?: Span };
}

/** What the route table needs to know of the gateway's own declared agents (`agent.<name>` tools). */
export interface AgentsSpec {
  readonly name: string;
  readonly prefix: 'always';
}

export interface Backend {
  readonly kind: 'mcp' | 'a2a' | 'agent';
  readonly name: string;
  readonly origin: 'config' | 'admin';
  readonly spec: AnyUpstreamConfig | AgentsSpec;
  readonly state: UpstreamState;
  readonly lastError: string | undefined;
  readonly lists: UpstreamLists;
  readonly lastKnownLists: UpstreamLists;
  /** The MCP initialize result (MCP upstreams only). */
  readonly info: UpstreamInfo | undefined;
  readonly inFlight: number;
  /** Oddities of the server the gateway works around (MCP upstreams), for /readyz and `switchyard tools`. */
  readonly tolerated?: readonly string[];
  /** Start connecting; resolves with `firstAttempt`. Never rejects: failures are retried. */
  start(): Promise<void>;
  /** Settles once the first attempt to start has ended, successfully or not. */
  readonly firstAttempt: Promise<void>;
  stop(graceMs?: number): Promise<void>;
  call(method: string, params: JsonObject | undefined, opts: BackendCallOptions): Promise<CallOutcome>;
  notify(n: RpcNotification): Promise<void>;
  /** The A2A skill a tool stands for (bridged agents' skill tools), for `skills:` policy rules. */
  skillOf?(tool: string): string | undefined;
}

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
